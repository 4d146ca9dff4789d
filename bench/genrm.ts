// npm run bench:genrm: in-loop judging by the embedded GenRM, the main job's cost once a GenRM
// trains the policy. One BRPO step's comparisons (8 groups of 16, one reference each: 8 x 15
// comparisons, both orders) judged by a judge of the GenRM preset's size through today's path
// (GenRMJudge over llama.cpp, one sequence at a time), as judgments/s and generated tokens/s,
// beside this machine's FLOP ceiling for the same work (every prompt and critique token costs
// 2 x parameters FLOPs; attention left out, so the ceiling is generous).
// The judge is the preset's architecture with untrained weights: speed does not depend on what
// the weights say, and a critique of fixed length (no grammar, max_tokens) makes every run do the
// same work. BENCH_CRITIQUE_TOKENS (default 176) sets that length; BENCH_STEPS (default 2) the rounds.
// The main job's judge writes terse critiques, about 85 tokens: BENCH_CRITIQUE_TOKENS=110 measures it.
// Beside today's path: llama.cpp with sequences side by side (BENCH_PARALLEL, default "8"), and our
// own engine with the whole step in one batch (the main job's runtime: engine).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GenRMJudge } from "../src/judge/genrm.ts";
import { EngineChatBackend } from "../src/llm/engine-judge-backend.ts";
import { LlamaCppChatBackend } from "../src/llm/llama-judge-backend.ts";
import type { ChatBackend } from "../src/llm/types.ts";
import { exportGguf } from "../src/model/checkpoint.ts";
import { selectKernel } from "../src/model/kernels/select.ts";
import { mulberry32 } from "../src/model/random.ts";
import { loadPolicy } from "../src/rl/loop.ts";
import { makePrompts, makeResponse } from "../src/world/constrained-writing.ts";
import { buildTinyBase, TinyRecipeSchema } from "../src/world/tiny-model.ts";
import { machinePeak } from "./machine-peak.ts";

// 176 - the 24 tokens kept for the final line = 152 critique tokens, what the preset's judge writes.
const CRITIQUE = Number(process.env.BENCH_CRITIQUE_TOKENS ?? 176);
const ROUNDS = Number(process.env.BENCH_STEPS ?? 2);
const GROUPS = 8;
const G = 16;

// The GenRM preset's judge (examples/tiny-genrm/config.yaml), not pretrained.
const recipe = TinyRecipeSchema.parse({
  corpus_size: 3000,
  vocab_size: 900,
  hidden_size: 128,
  layers: 2,
  heads: 4,
  kv_heads: 2,
  head_dim: 32,
  intermediate_size: 384,
  pretrain_steps: 0,
});
const dir = mkdtempSync(join(tmpdir(), "wz-bench-genrm-"));
const base = loadPolicy(buildTinyBase(recipe, dir).dir);
const gguf = join(dir, "judge.gguf");
writeFileSync(gguf, exportGguf(base.model, base.tokenizer));
const params = base.model.numParams;

// One step's groups: the tiny world's base-like responses, one reference per group.
const random = mulberry32(7);
const step = makePrompts(GROUPS, 1, "train").map((p) => ({
  prompt: p.prompt,
  responses: Array.from({ length: G }, () => makeResponse(p, random).response),
}));
const comparisons = step.flatMap((g) => g.responses.slice(1).map((r) => [g.prompt, r, g.responses[0]]));

/** One step's judgments through a judge whose backend judges `parallel` requests side by side. */
function measure(parallel: number, threads: number) {
  return measureWith(new LlamaCppChatBackend(gguf, { grammar: false, parallel, threads }));
}

/** One step's judgments through GenRMJudge over this backend: the best of ROUNDS after a warm-up. */
async function measureWith(backend: ChatBackend & { close(): Promise<void> }) {
  const judge = new GenRMJudge({
    backend,
    template: "compact",
    parseRetries: 0,
    sampling: { temperature: 0, top_p: 1, max_tokens: CRITIQUE, seed: 0 },
  });
  const round = async () => {
    let prompt = 0;
    let generated = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      comparisons.map(async ([p, a, b]) => {
        const v = await judge.compare(p, a, b);
        for (const c of v.conditions) {
          if (!c.usage) failed++; // the backend failed (a reply that does not parse is still work done)
          prompt += c.usage?.prompt_tokens ?? 0;
          generated += c.usage?.completion_tokens ?? 0;
        }
      }),
    );
    if (failed)
      throw new Error(`${failed} judgments failed (${backend.model}): a bench measures finished work only`);
    return { seconds: (performance.now() - t0) / 1000, prompt, generated };
  };
  await round(); // warm-up: model load, first contexts
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round());
  await backend.close();
  const best = rounds.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...best, rounds: rounds.map((r) => r.seconds) };
}

const best = await measure(1, 1);
const conditions = comparisons.length * 2;
const peak = machinePeak();
const flopsPerStep = 2 * params * (best.prompt + best.generated);
const ceilingSeconds = flopsPerStep / (peak.total * 1e9);
console.log(
  `judge: the GenRM preset's size, ${params} parameters; one BRPO step = ${comparisons.length} comparisons x 2 orders = ${conditions} judgments, ${Math.round(best.prompt / conditions)} prompt + ${Math.round(best.generated / conditions)} critique tokens each`,
);
console.log(
  `today's path (GenRMJudge over llama.cpp, one sequence at a time): ${best.seconds.toFixed(2)} s a step (rounds: ${best.rounds.map((x) => x.toFixed(2)).join(", ")}); ${(conditions / best.seconds).toFixed(1)} judgments/s, ${(best.generated / best.seconds).toFixed(0)} generated tokens/s`,
);
// Side by side: a step's requests in shared batches (one context, several sequences). Two
// llama.cpp threads on this model size were slower still (a round took minutes): left out.
// BENCH_PARALLEL (default "8"): the sequence counts to measure, comma-separated.
const PARALLEL = (process.env.BENCH_PARALLEL ?? "8").split(",").map(Number);
for (const [parallel, threads] of PARALLEL.map((p) => [p, 1])) {
  const m = await measure(parallel, threads);
  console.log(
    `${parallel} sequences side by side, ${threads} thread(s): ${m.seconds.toFixed(2)} s a step (rounds: ${m.rounds.map((x) => x.toFixed(2)).join(", ")}); ${(conditions / m.seconds).toFixed(1)} judgments/s, ${(m.generated / m.seconds).toFixed(0)} generated tokens/s (${Math.round(m.generated / conditions)} a judgment); ${(best.seconds / m.seconds).toFixed(2)}x today's path`,
  );
}
// Our own engine: every judgment of the step in one batch, greedy (model/batch-decode.ts).
{
  const kernel = await selectKernel("auto");
  const backend = new EngineChatBackend(gguf, { kernel, grammar: false });
  const m = await measureWith(backend);
  console.log(
    `our engine (${kernel.name}), the step's ${conditions} judgments in one batch: ${m.seconds.toFixed(2)} s a step (rounds: ${m.rounds.map((x) => x.toFixed(2)).join(", ")}); ${(conditions / m.seconds).toFixed(1)} judgments/s, ${(m.generated / m.seconds).toFixed(0)} generated tokens/s (${Math.round(m.generated / conditions)} a judgment); ${(best.seconds / m.seconds).toFixed(2)}x today's path`,
  );
}
console.log(
  `FLOP ceiling on ${peak.cores} cores (${peak.total.toFixed(0)} GFLOP/s, ${peak.isa}): ${ceilingSeconds.toFixed(3)} s a step, ${(conditions / ceilingSeconds).toFixed(0)} judgments/s; today's path is at ${((100 * ceilingSeconds) / best.seconds).toFixed(1)} % of it`,
);
