// A new task is one object implementing Task: here a toy that rewards responses holding the token
// "b", run through the real loop (a scripted sampler in place of llama.cpp, a real tokenizer,
// model, optimizer and SQLite store). The loop records the task's own metrics and progress part
// and none of the writing task's: it knows no task but the one it is given.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Sample, Sampler } from "../../src/llm/types.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { RolloutConfigSchema, UpdateConfigSchema } from "../../src/rl/config.ts";
import { scalarAdvantages } from "../../src/rl/estimators/scalar.ts";
import { runLoop } from "../../src/rl/loop.ts";
import type { Task } from "../../src/rl/task.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

/** n seeded continuations of a few random tokens each, ending with the stop token. */
function scriptedSampler(vocab: number): Sampler {
  return {
    async load() {},
    async close() {},
    async sample(_prompt, o): Promise<Sample[]> {
      const random = mulberry32(o.seed);
      return Array.from({ length: o.n }, () => ({
        tokens: [...Array.from({ length: 3 }, () => 3 + Math.floor(random() * (vocab - 3))), ...o.stopTokens],
        finishReason: "stop" as const,
      }));
    },
  };
}

test("a toy task runs through the loop: its metrics and progress, none of the writing task's", async () => {
  const bpe = trainBpe(["a b c d e f g", "b b a c", "the cat"], 270);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const cfg = tinyConfig({ vocabSize: tok.vocabSize, eosTokenId: tok.eosId });
  const policy = randomModel(cfg, 1, "f32", 0.02);
  const initial = randomModel(cfg, 1, "f32", 0.02);
  const runDir = mkdtempSync(join(tmpdir(), "wz-toy-task-"));
  mkdirSync(join(runDir, "checkpoints"));
  const store = new RunStore(join(runDir, "run.sqlite"));
  const toy: Task = {
    name: "toy: responses holding b",
    async scoreGroup(_prompt, responses) {
      return scalarAdvantages(
        "grpo",
        responses.map((r) => (r.includes("b") ? 1 : 0)),
      );
    },
    stepMetrics: (_prompts, groups) => ({
      toy_b_share: groups.flat().filter((r) => r.includes("b")).length / groups.flat().length,
    }),
    progress: (m) => `toy b ${m.toy_b_share?.toFixed(2)}`,
  };
  const progress: string[] = [];
  const config = {
    seed: 1,
    rollout: RolloutConfigSchema.parse({ group_size: 4, prompts_per_step: 2, max_tokens: 8 }),
    train: UpdateConfigSchema.parse({ steps: 2, checkpoint_every: 100 }),
    eval: { monitor_every: 0, warn_window: 6 },
  };
  const result = await runLoop(
    {
      config,
      runDir,
      store,
      policy,
      initial,
      tokenizer: tok,
      task: toy,
      trainPrompts: [
        { id: "p1", prompt: "say b" },
        { id: "p2", prompt: "say a" },
        { id: "p3", prompt: "say c" },
      ],
      sampler: scriptedSampler(tok.vocabSize),
      log: () => {},
      progress: (l) => progress.push(l),
      shouldStop: () => false,
    },
    0,
  );
  store.close();
  assert.deepEqual(result, { completed: 2, stopped: false, stopReason: undefined });
  assert.equal(progress.length, 2);
  assert.match(progress[0], /^step 1\/2 .* \| toy b \d\.\d\d \| kl /);
  const rows = readFileSync(join(runDir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  for (const m of rows) {
    assert.ok(m.toy_b_share >= 0 && m.toy_b_share <= 1, JSON.stringify(m));
    for (const writingKey of ["constraints_met", "length_words_mean", "over_explanation_tokens"])
      assert.ok(!(writingKey in m), `${writingKey} is the writing task's, not the loop's`);
    assert.equal(m.groups, 2);
  }
});
