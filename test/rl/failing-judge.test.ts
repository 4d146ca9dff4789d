// A training run whose judge never answers usefully stops (resumably) instead of training on nothing.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz } from "../helpers/cli.ts";
import { startScriptedServer } from "../helpers/scripted-server.ts";

test("replies that never parse: a warning with the kinds and a raw reply at step 1, a stop after 2 steps, exit 1", async () => {
  const server = await startScriptedServer(() => ({ content: "I think both are fine." }));
  const dir = mkdtempSync(join(tmpdir(), "wz-failing-"));
  try {
    writeFileSync(
      join(dir, "cfg.yaml"),
      `seed: 3
model:
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 15, batch_size: 8}
data: {train_count: 8, eval_count: 3}
judge: {kind: genrm, base_url: "${server.url}", model: scripted, cache: "", max_retries: 0}
rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 12}
train: {steps: 6, max_failing_steps: 2}
eval: {samples_per_prompt: 1, judge: training}
`,
    );
    const run = join(dir, "run");
    const r = await runWz(["train", join(dir, "cfg.yaml"), "--output", run]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /warning: the judge failed 100% of comparisons at step 1 \(no_answer \d+\); one reply: "I think both are fine\."/,
    );
    assert.match(r.stderr, /stopped: the judge failed more than 50% of comparisons for 2 consecutive steps/);
    assert.match(r.stderr, /continue with: wz train --resume/);
    const store = new RunStore(join(run, "run.sqlite"), { readonly: true });
    assert.equal(store.lastCompletedStep(), 1, "two steps recorded, resumable");
    assert.equal(store.getMeta("status"), "stopped");
    store.close();
    assert.ok(!existsSync(join(run, "final")), "no final model from a run that trained on nothing");
  } finally {
    await server.close();
  }
});
