// npm run bench:engine: forward+backward tokens/s of our engine (each kernel: the native addon on
// OpenBLAS and, where built, on Intel MKL; the portable wasm) against PyTorch on
// CPU with the same thread count (1), for widths 128, 256 and 512 (4 layers, sequence 256), as a
// ratio; our best configuration against PyTorch's best (any installed version, 1 or 2 threads);
// GFLOP/s and the fraction of the machine's fp32 peak (bench/machine-peak.ts); the ceilings the
// matmuls alone set (bench/matmul-floor.ts) against the 1.5x and 0.5x targets; and sampling tokens/s
// through llama.cpp for the same models. PyTorch peers: 2.13 in the
// project's .venv (scripts/setup-python.sh) and Debian's python3-torch (1.13), each named with its
// BLAS and oneDNN backends.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { exportGguf } from "../src/model/checkpoint.ts";
import type { ModelConfig } from "../src/model/config.ts";
import { DecoderModel } from "../src/model/decoder.ts";
import { blasAvailable, createBlasKernel, type NativeBlas } from "../src/model/kernels/blas.ts";
import { referenceKernel } from "../src/model/kernels/reference.ts";
import type { ComputeBackend } from "../src/model/kernels/types.ts";
import { createWasmKernel } from "../src/model/kernels/wasm.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../src/model/tokenizer/tokenizer.ts";
import { machinePeak, trainFlopsPerToken } from "./machine-peak.ts";
import { matmulFloor } from "./matmul-floor.ts";
import { samplingRate } from "./sampling-rate.ts";
import { trainingRate } from "./training-rate.ts";

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
const PROBE =
  "import re, torch; s = torch.__config__.show(); b = re.search(r'BLAS_INFO=([^,]+)', s); " +
  "print(torch.__version__, (b.group(1) if b else '?') + ' BLAS', '+ oneDNN' if torch.backends.mkldnn.is_available() else '')";
const peers = [resolve(".venv/bin/python"), "/usr/bin/python3"].flatMap((bin) => {
  const r = spawnSync(bin, ["-c", PROBE], { encoding: "utf8" });
  return r.status === 0 ? [{ bin, name: `pytorch ${r.stdout.trim()}` }] : [];
});

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

const benchTokens = Array.from({ length: SEQ }, (_, i) => (i * 37) % V);

function ours(width: number, kernel: ComputeBackend): number {
  return trainingRate(DecoderModel.random(config(width), 1, "f32", kernel), benchTokens, SECONDS);
}

function torch(bin: string, width: number, threads = 1): number | null {
  const r = spawnSync(
    bin,
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

// The model users train: transformers' Qwen3ForCausalLM with SDPA, in the .venv, eager and under
// torch.compile (scripts/hf_bench.py). The reference peer for "best against best".
const hfPython = resolve(".venv/bin/python");
const hfAvailable =
  spawnSync(hfPython, ["-c", "import transformers, torch"], { encoding: "utf8" }).status === 0;

function transformers(width: number, threads: number, compiled = false): number | string | null {
  if (!hfAvailable) return null;
  const args = [String(width), String(LAYERS), String(SEQ), String(V), String(threads), String(SECONDS)];
  const r = spawnSync(hfPython, ["scripts/hf_bench.py", ...args, ...(compiled ? ["compile"] : [])], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  const out = r.stdout.trim();
  if (r.status !== 0) return `failed: ${r.stderr.trim().split("\n").at(-1)}`;
  return out.startsWith("unsupported") ? out : Number(out);
}

async function sampling(width: number): Promise<number> {
  const path = join(dir, `w${width}.gguf`);
  writeFileSync(path, exportGguf(DecoderModel.random(config(width), 1), tok));
  return samplingRate(path, tok.encode("sample text number 3 about"), { maxTokens: 128 });
}

// The native builds present: OpenBLAS (the default kernel) and Intel MKL (--kernel mkl).
const natives = (["openblas", "mkl"] as const).filter((b) => blasAvailable(b));
// Every kernel names its layers' arithmetic, so that WZ_LAYERS in the environment changes nothing here.
const wasm = await createWasmKernel({ threads: 1, layerMode: "exact" });
const wasm2 = await createWasmKernel({ threads: 2, layerMode: "exact" });
const wasm2fast = await createWasmKernel({ threads: 2, layerMode: "fast" });
const peak = machinePeak();
console.log(
  `machine: ${peak.cores} cores, ${peak.isa} (${peak.lanes} fp32 lanes), ${peak.ghz.toFixed(2)} GHz, ${peak.fmaPorts} FMA ports assumed: fp32 peak ${peak.perCore.toFixed(0)} GFLOP/s a core, ${peak.total.toFixed(0)} in all`,
);
// The peak above is at the clock the machine reports; a core may run faster (turbo). A large
// product on each BLAS shows what the cores actually reach.
for (const blas of natives)
  for (const threads of [1, 2]) {
    const k = createBlasKernel(threads, blas)!;
    const n = 1024;
    const [a, b, c] = [0, 1, 2].map(() => new Float32Array(n * n).fill(0.5));
    k.matmulNT(c, a, b, n, n, n, false);
    let reps = 0;
    const t0 = performance.now();
    do {
      k.matmulNT(c, a, b, n, n, n, false);
      reps++;
    } while (performance.now() - t0 < 1000);
    const gflops = (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
    console.log(
      `${blas} on a ${n}^3 product, ${threads} thread${threads > 1 ? "s" : ""}: ${gflops.toFixed(0)} GFLOP/s (${((100 * gflops) / (peak.perCore * threads)).toFixed(0)} % of the peak above)`,
    );
  }
console.log(
  "FLOPs per token, forward + backward: 3 x 2 x (layers x (hidden x (q + 2 kv) + q x hidden + 3 hidden x intermediate + 2 q (seq + 1) / 2) + hidden x vocabulary)",
);
console.log(
  `forward+backward, ${LAYERS} layers, sequence ${SEQ}, vocabulary ${V}; one thread unless marked; tokens/s (ratio to PyTorch with the same threads)`,
);
if (peers.length === 0)
  console.log("(no PyTorch: bash scripts/setup-python.sh for 2.13, apt-get install python3-torch for 1.13)");
else console.log(`PyTorch peers: ${peers.map((p) => p.name).join("; ")}`);
for (const width of widths) {
  const pts = peers.map((p) => ({ name: p.name, t1: torch(p.bin, width), t2: torch(p.bin, width, 2) }));
  const pt = pts[0]?.t1 ?? null;
  const w = ours(width, wasm);
  const w2 = ours(width, wasm2);
  const ref = width <= 256 ? ours(width, referenceKernel) : null;
  const blas1 = createBlasKernel(1, "openblas", "exact");
  const b1 = blas1 ? ours(width, blas1) : null;
  const blas2 = createBlasKernel(2, "openblas", "exact");
  const b2 = blas2 ? ours(width, blas2) : null;
  // The same engine on MKL's products (what PyTorch calls too), where built.
  const mkl = natives.includes("mkl")
    ? ([1, 2] as const).map((threads) => ours(width, createBlasKernel(threads, "mkl", "exact")!))
    : null;
  // With the fast layers (WZ_LAYERS=fast: the softmax and the sigmoid in float), on 2 threads.
  const fastOn = (blas: NativeBlas) =>
    natives.includes(blas) ? ours(width, createBlasKernel(2, blas, "fast")!) : null;
  const fast = { openblas: fastOn("openblas"), mkl: fastOn("mkl"), wasm: ours(width, wasm2fast) };
  // The same OpenBLAS matmuls with the TypeScript layers: what the C layers and their threads add.
  const bts = blas1 ? ours(width, { ...blas1, layers: undefined }) : null;
  const pt2 = pts[0]?.t2 ?? null;
  const ratio = (x: number | null, peer = pt) =>
    x === null || peer === null ? "n/a" : `${(x / peer).toFixed(2)}x`;
  const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(0));
  const best = (xs: (number | null)[]) =>
    xs.reduce<number | null>((m, x) => (x !== null && (m === null || x > m) ? x : m), null);
  const bestOurs = best([w, w2, b1, b2, ...(mkl ?? [])]);
  const bestFast = best([bestOurs, fast.openblas, fast.mkl, fast.wasm]);
  const bestTorch = best(pts.flatMap((p) => [p.t1, p.t2]));
  const sample = await sampling(width);
  console.log(
    `width ${width}: ${pts[0]?.name ?? "pytorch"} ${f(pt)} | native ${f(b1)} (${ratio(b1)}) | openblas + TypeScript layers ${f(bts)} (${ratio(bts)}) | ${wasm.name} with its layers ${f(w)} (${ratio(w)}) | reference ${ref === null ? "skipped" : f(ref)} (${ratio(ref)}) | 2 threads: pytorch ${f(pt2)}, native ${f(b2)} (${ratio(b2, pt2)}), ${wasm2.name} ${f(w2)} (${ratio(w2, pt2)}; ${ratio(w2)} of one-thread PyTorch) | llama.cpp sampling ${sample.toFixed(0)} tokens/s`,
  );
  if (mkl)
    console.log(
      `  native on MKL (--kernel mkl): 1 thread ${f(mkl[0])} (${ratio(mkl[0])}), 2 threads ${f(mkl[1])} (${ratio(mkl[1], pt2)})`,
    );
  console.log(
    `  fast layers (WZ_LAYERS=fast), 2 threads: native ${f(fast.openblas)} (${ratio(fast.openblas, pt2)}), native on MKL ${f(fast.mkl)} (${ratio(fast.mkl, pt2)}), wasm ${f(fast.wasm)} (${ratio(fast.wasm)} of one-thread PyTorch)`,
  );
  for (const p of pts.slice(1)) console.log(`  also ${p.name}: 1 thread ${f(p.t1)}, 2 threads ${f(p.t2)}`);
  console.log(
    `  best against best: exact layers (the default), ours ${f(bestOurs)} / PyTorch ${f(bestTorch)} = ${ratio(bestOurs, bestTorch)}; with the fast layers, ours ${f(bestFast)} = ${ratio(bestFast, bestTorch)}`,
  );
  if (hfAvailable) {
    const hf = {
      t1: transformers(width, 1),
      t2: transformers(width, 2),
      c1: transformers(width, 1, true),
      c2: transformers(width, 2, true),
    };
    const num = (x: number | string | null) => (typeof x === "number" ? x : null);
    const show = (x: number | string | null) => (typeof x === "number" ? x.toFixed(0) : String(x));
    const bestHf = best(Object.values(hf).map(num));
    console.log(
      `  transformers Qwen3ForCausalLM (SDPA): 1 thread ${show(hf.t1)}, 2 threads ${show(hf.t2)}; torch.compile: 1 thread ${show(hf.c1)}, 2 threads ${show(hf.c2)}`,
    );
    console.log(
      `  best against best, against transformers: exact layers ${f(bestOurs)} / ${f(bestHf)} = ${ratio(bestOurs, bestHf)}; with the fast layers ${ratio(bestFast, bestHf)}`,
    );
  }
  // The ceilings: the same step's linear-layer matmuls alone, and what each target would leave
  // for the rest of the step (attention, norms, SwiGLU, the softmaxes, JavaScript).
  const ceiling = (
    label: string,
    kernel: ComputeBackend,
    step: number | null,
    peer: number | null,
    target: number,
  ) => {
    if (step === null || peer === null) return;
    const floor = matmulFloor(DecoderModel.random(config(width), 1, "f32", kernel), benchTokens, SECONDS);
    const us = (rate: number) => 1e6 / rate;
    console.log(
      `  ceiling, ${label}: its linear-layer matmuls alone ${f(floor)} tokens/s = ${ratio(floor, peer)}; ` +
        `${target}x leaves ${(us(target * peer) - us(floor)).toFixed(1)} us a token for the rest of the step (it spends ${(us(step) - us(floor)).toFixed(1)})`,
    );
  };
  if (blas2) ceiling("native 2 threads against PyTorch's best", blas2, b2, bestTorch, 1.5);
  if (mkl)
    ceiling(
      "native on MKL, 2 threads, against PyTorch's best",
      createBlasKernel(2, "mkl", "exact")!,
      mkl[1],
      bestTorch,
      1.5,
    );
  ceiling("wasm against one-thread PyTorch", wasm, w, pt, 0.5);
  ceiling("wasm 2 threads against one-thread PyTorch", wasm2, w2, pt, 0.5);
  const flops = trainFlopsPerToken({ ...config(width), seq: SEQ });
  const gflops = (x: number | null) => (x === null ? null : (x * flops) / 1e9);
  const of = (x: number | null, threads: number) => {
    const g = gflops(x);
    return g === null
      ? "n/a"
      : `${g.toFixed(1)} GFLOP/s (${((100 * g) / (peak.perCore * threads)).toFixed(1)}% of ${threads === 1 ? "a core" : "both cores"})`;
  };
  console.log(
    `  ${(flops / 1e6).toFixed(1)} MFLOP a token: native ${of(b1, 1)}; native 2 threads ${of(b2, 2)};${mkl ? ` MKL ${of(mkl[0], 1)}; MKL 2 threads ${of(mkl[1], 2)};` : ""} wasm ${of(w, 1)}; wasm 2 threads ${of(w2, 2)}; PyTorch ${of(pt, 1)}; PyTorch 2 threads ${of(pt2, 2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
