// `wz train-rm`: a scalar reward model learns the tiny world's labelled pairs (held-out accuracy
// rises well above chance), full and LoRA, and its folder reads back with the same rewards.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadRewardModel } from "../../src/model/reward-model.ts";
import { runWz } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-train-rm-"));
const tiny = `{corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 120, batch_size: 8}`;

for (const lora of [false, true]) {
  test(`learns held-out pairs${lora ? " (LoRA, frozen trunk)" : ""}`, { timeout: 300_000 }, async () => {
    const out = join(dir, lora ? "lora" : "full");
    // Rank-4 adapters on a 32-wide trunk learn slower: since the gold ranks taste (v2), more of the
    // pairs turn on the scenes' moods, and 150 steps at 0.002 left them at 58 %; 300 at 0.004 gave
    // 71, 76 and 77 % over seeds 1-3 (the full model: 79 % with 150 steps).
    writeFileSync(
      join(dir, "cfg.yaml"),
      `output: ${out}
model:
  init: tiny
  cache: ${join(dir, "cache")}
  tiny: ${tiny}
${lora ? "  lora: {rank: 4, alpha: 8}\n" : ""}data: {pairs: tiny, train_count: 1000, eval_count: 100}
train: ${lora ? "{steps: 300, batch_size: 8, lr: 0.004}" : "{steps: 150, batch_size: 8, lr: 0.002}"}
`,
    );
    const r = await runWz(["train-rm", join(dir, "cfg.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    assert.equal(summary.heldOutAfter.n, 100);
    // 100 pairs: 65 % is beyond chance at p < 0.01.
    assert.ok(summary.heldOutAfter.accuracy >= 0.65, `held-out accuracy ${summary.heldOutAfter.accuracy}`);
    assert.ok(summary.heldOutAfter.accuracy > summary.heldOutBefore.accuracy);
    // Measured, not assumed: a scalar model scores each response alone and deterministically, so
    // scoring the rejected response first changes no verdict.
    assert.equal(summary.heldOutAfter.consistency, 1);
    assert.match(r.stdout, /held-out accuracy [\d.]+% -> [\d.]+% on 100 pairs/);
    const rm = loadRewardModel(join(out, "final"));
    assert.ok(Number.isFinite(rm.reward([1, 2, 3])));
    if (lora) return;
    // wz genrm-eval judges with the scalar model: the sign of the reward difference, which no
    // presentation order can change.
    const pairs = join(dir, "eval-pairs.jsonl");
    assert.equal(
      (await runWz(["genrm", "pairs", "--tiny", "60", "--split", "eval", "--output", pairs])).code,
      0,
    );
    const ev = await runWz([
      "genrm-eval",
      "--input",
      pairs,
      "--judge",
      "rm",
      "--reward-model",
      join(out, "final"),
      "--output",
      join(dir, "ev"),
    ]);
    assert.equal(ev.code, 0, ev.stderr);
    const res = JSON.parse(readFileSync(join(dir, "ev", "summary.json"), "utf8")).results[0].summary;
    assert.equal(res.consistency.value, 1);
    assert.equal(res.failureRate.value, 0);
    assert.ok(res.accuracy.value >= 0.6, `genrm-eval accuracy ${res.accuracy.value}`);

    // GRPO trains a policy against it (the scalar scorer), graded by the tiny world's gold.
    writeFileSync(
      join(dir, "grpo.yaml"),
      `output: ${join(dir, "grpo")}
model:
  init: tiny
  cache: ${join(dir, "cache")}
  tiny: ${tiny}
data: {train_count: 8, eval_count: 2}
judge: {kind: rm, reward_model: ${join(out, "final")}}
estimator: {name: grpo}
rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 24}
train: {steps: 2}
eval: {samples_per_prompt: 1, monitor_every: 1}
`,
    );
    const g = await runWz(["train", join(dir, "grpo.yaml")]);
    assert.equal(g.code, 0, g.stderr.slice(-2000));
    assert.match(g.stdout + g.stderr, /training judge rm:/);
    assert.match(g.stdout + g.stderr, /evaluation judge gold/);
    const steps = readFileSync(join(dir, "grpo", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n");
    assert.equal(steps.length, 2);
  });
}

test("a bad config names the key", async () => {
  writeFileSync(join(dir, "bad.yaml"), "train: {steps: -1}\n");
  const r = await runWz(["train-rm", join(dir, "bad.yaml")]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /train\.steps/);
});
