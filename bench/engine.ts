// npm run bench:engine: forward+backward tokens/s of our engine (each kernel) against PyTorch on
// CPU with the same thread count (1), for widths 128, 256 and 512 (4 layers, sequence 256), as a
// ratio; and sampling tokens/s through llama.cpp for the same models.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LlamaSampler } from "../src/llm/llama-sampler.ts";
import { exportGguf } from "../src/model/checkpoint.ts";
import type { ModelConfig } from "../src/model/config.ts";
import { createBlasKernel } from "../src/model/kernels/blas.ts";
import { referenceKernel } from "../src/model/kernels/reference.ts";
import type { MatmulKernel } from "../src/model/kernels/types.ts";
import { createWasmKernel } from "../src/model/kernels/wasm.ts";
import { Qwen3Model } from "../src/model/qwen3.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../src/model/tokenizer/tokenizer.ts";

const SEQ = 256;
const LAYERS = 4;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const widths = (process.env.BENCH_WIDTHS ?? "128,256,512").split(",").map(Number);
const corpus = Array.from(
  { length: 50 },
  (_, i) => `sample text number ${i} about rivers, lamps and quiet rooms`,
);
const bpe = trainBpe(corpus, 512);
const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
const V = tok.vocabSize;
const dir = mkdtempSync(join(tmpdir(), "wz-bench-"));
const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;

function config(width: number): ModelConfig {
  return {
    vocabSize: V,
    hiddenSize: width,
    numLayers: LAYERS,
    numHeads: 4,
    numKVHeads: 2,
    headDim: width / 4,
    intermediateSize: 3 * width,
    rmsNormEps: 1e-6,
    ropeTheta: 1e6,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 1024,
    bosTokenId: null,
    eosTokenId: null,
  };
}

function ours(width: number, kernel: MatmulKernel): number {
  const model = Qwen3Model.random(config(width), 1, "f32", kernel);
  const tokens = Array.from({ length: SEQ }, (_, i) => (i * 37) % V);
  const targets = tokens.slice(1).concat([-1]);
  const d = new Float64Array(SEQ).fill(-1 / SEQ);
  model.zeroGrad();
  let done = 0;
  const t0 = performance.now();
  do {
    model.forward(tokens, targets);
    model.backward(d);
    done += SEQ;
  } while (performance.now() - t0 < SECONDS * 1000);
  return done / ((performance.now() - t0) / 1000);
}

function torch(width: number, threads = 1): number | null {
  if (!hasTorch) return null;
  const r = spawnSync(
    "/usr/bin/python3",
    [
      "scripts/torch_bench.py",
      String(width),
      String(LAYERS),
      String(SEQ),
      String(V),
      String(threads),
      String(SECONDS),
    ],
    // torch.set_num_threads does not bind the OpenBLAS pool Debian's torch calls into: pin both,
    // or "one thread" PyTorch quietly uses both cores.
    {
      encoding: "utf8",
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
    },
  );
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

async function sampling(width: number): Promise<number> {
  const path = join(dir, `w${width}.gguf`);
  writeFileSync(path, exportGguf(Qwen3Model.random(config(width), 1), tok));
  const sampler = new LlamaSampler(1024);
  await sampler.load(path);
  const prompt = tok.encode("sample text number 3 about");
  const t0 = performance.now();
  const out = await sampler.sample(prompt, {
    n: 4,
    temperature: 1,
    topP: 1,
    maxTokens: 128,
    seed: 1,
    stopTokens: [],
  });
  const n = out.reduce((s, x) => s + x.tokens.length, 0);
  await sampler.close();
  return n / ((performance.now() - t0) / 1000);
}

const wasm = await createWasmKernel();
console.log(
  `forward+backward, ${LAYERS} layers, sequence ${SEQ}, vocabulary ${V}; one thread unless marked; tokens/s (ratio to PyTorch with the same threads)`,
);
if (!hasTorch)
  console.log("(python3-torch not installed: apt-get install python3-torch for the PyTorch column)");
for (const width of widths) {
  const pt = torch(width);
  const w = ours(width, wasm);
  const ref = width <= 256 ? ours(width, referenceKernel) : null;
  const blas1 = createBlasKernel(1);
  const b1 = blas1 ? ours(width, blas1) : null;
  const blas2 = createBlasKernel(2);
  const b2 = blas2 ? ours(width, blas2) : null;
  createBlasKernel(1); // OpenBLAS threads are process-wide: back to one
  const pt2 = torch(width, 2);
  const ratio = (x: number | null, peer = pt) =>
    x === null || peer === null ? "n/a" : `${(x / peer).toFixed(2)}x`;
  const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(0));
  const sample = await sampling(width);
  console.log(
    `width ${width}: pytorch ${f(pt)} | openblas ${f(b1)} (${ratio(b1)}) | wasm-simd ${f(w)} (${ratio(w)}) | reference ${ref === null ? "skipped" : f(ref)} (${ratio(ref)}) | 2 threads: pytorch ${f(pt2)}, openblas ${f(b2)} (${ratio(b2, pt2)}) | llama.cpp sampling ${sample.toFixed(0)} tokens/s`,
  );
}
