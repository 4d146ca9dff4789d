// One policy update on a small model, with no sampler: the direction follows the advantage, a
// zero advantage changes nothing, masked members and dropped groups yield no training item.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Rollout } from "../../src/data/prompts.ts";
import { seededRandom } from "../../src/model/random.ts";
import { groupOf, Trainer } from "../../src/model/trainer.ts";
import { responseLogprobs, type Sequence, trainingItems } from "../../src/rl/data.ts";
import type { GroupAdvantages } from "../../src/rl/estimators/types.ts";
import { divergence } from "../../src/rl/monitor.ts";
import { policyUpdate } from "../../src/rl/update.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";

function rollout(member: number, prompt: number[], response: number[]): Rollout {
  return {
    group: 0,
    member,
    promptTokens: prompt,
    responseTokens: response,
    text: `r${member}`,
    finishReason: "stop",
  };
}

function estimate(advantages: number[], masked: boolean[], dropped = false): GroupAdvantages {
  return {
    estimator: "test",
    advantages,
    masked,
    dropped,
    referenceIndices: [],
    comparisons: [],
    judgeCalls: 0,
    stats: {
      size: advantages.length,
      skew: 0,
      meanPreference: null,
      winRate: null,
      maskedCount: 0,
      consistency: null,
      failedComparisons: 0,
    },
  };
}

const prompt = randomTokens(6, 37, 1);
const good = randomTokens(5, 37, 2);
const bad = randomTokens(5, 37, 3);

function meanLogp(model: ReturnType<typeof randomModel>, s: Sequence): number {
  const { logp } = responseLogprobs(model, s, false);
  return Array.from(logp).reduce((a, b) => a + b, 0) / logp.length;
}

function update(
  advantages: number[],
  steps = 1,
  more: { packMiB?: number; epochs?: number; minibatches?: number } = {},
) {
  const policy = randomModel(tinyConfig(), 11);
  const reference = randomModel(tinyConfig(), 11);
  const { params } = policy.trainable();
  const trainer = new Trainer([groupOf(policy.trainable())], {
    lr: 0.01,
    weightDecay: 0,
    schedule: { kind: "constant" },
    gradClip: 1,
  });
  const groups = [advantages.map((_, m) => rollout(m, prompt, m % 2 === 0 ? good : bad.slice(0, 2 + m)))];
  const items = trainingItems(groups, [
    estimate(
      advantages,
      advantages.map(() => false),
    ),
  ]);
  const before = Float64Array.from(params.data);
  const seqs = items.map((it) => it.sequence);
  const lpBefore = seqs.map((s) => meanLogp(policy, s));
  let last: ReturnType<typeof policyUpdate> | undefined;
  for (let k = 0; k < steps; k++)
    last = policyUpdate(policy, reference, trainer, items, {
      lr: 0.01,
      epochs: more.epochs ?? 1,
      minibatches: more.minibatches ?? 1,
      clipLow: 0.2,
      clipHigh: 0.28,
      klCoef: 0.1,
      packMiB: more.packMiB ?? 256,
      random: seededRandom(1, "mb", k),
    });
  return { policy, before, params, seqs, lpBefore, result: last! };
}

test("the update raises the likelihood of a +1 response and lowers a -1 response", () => {
  const { policy, seqs, lpBefore, result } = update([1, -1], 3);
  assert.ok(meanLogp(policy, seqs[0]) > lpBefore[0] + 1e-3);
  assert.ok(meanLogp(policy, seqs[1]) < lpBefore[1] - 1e-3);
  assert.equal(result.old.length, 2);
  assert.equal(result.ref.length, 2);
  assert.ok(result.gradNorm > 0);
});

test("packed passes give the weights one pass per sequence gives (float64, to rounding)", () => {
  for (const more of [{}, { epochs: 2, minibatches: 2 }]) {
    const advantages = [1, -1, 0.5, -0.25, 0.75];
    const packed = update(advantages, 2, { ...more, packMiB: 256 });
    const single = update(advantages, 2, { ...more, packMiB: 0 });
    let moved = 0;
    for (let i = 0; i < packed.params.data.length; i++) {
      moved = Math.max(moved, Math.abs(single.params.data[i] - single.before[i]));
      assert.ok(Math.abs(packed.params.data[i] - single.params.data[i]) < 1e-9, `weight ${i}`);
    }
    assert.ok(moved > 1e-3, "the update moved the weights");
    assert.ok(Math.abs(packed.result.loss - single.result.loss) < 1e-9);
    assert.ok(Math.abs(packed.result.gradNorm - single.result.gradNorm) < 1e-9);
  }
});

test("zero advantages leave every weight exactly as it was", () => {
  const { before, params } = update([0, 0]);
  assert.deepEqual(Float64Array.from(params.data), before);
});

test("masked members and dropped groups give no training item", () => {
  const g = [[rollout(0, prompt, good), rollout(1, prompt, bad), rollout(2, prompt, good)]];
  const items = trainingItems(g, [estimate([1, -1, 1], [false, true, false])]);
  assert.deepEqual(
    items.map((i) => i.rollout.member),
    [0, 2],
  );
  assert.equal(items[0].sequence.promptLength, prompt.length);
  assert.deepEqual(items[0].sequence.tokens, prompt.concat(good));
  assert.equal(trainingItems(g, [estimate([1, -1, 1], [false, false, false], true)]).length, 0);
});

test("over-optimisation is flagged only when the training figure rises and the independent one falls", () => {
  const rising = [5, 5.2, 5.4, 6, 6.5, 7];
  const falling = [7, 7, 6.8, 6.2, 6, 5.5];
  const flat = [7, 7, 7, 7, 7, 7];
  assert.ok(divergence(rising, falling, 6, 0.1));
  assert.equal(divergence(rising, flat, 6, 0.1), null);
  assert.equal(divergence(rising, rising, 6, 0.1), null);
  assert.equal(divergence(rising.slice(0, 3), falling.slice(0, 3), 6, 0.1), null, "not enough points yet");
  const d = divergence(rising, falling, 6, 0.1)!;
  // later half minus earlier half: (6+6.5+7)/3 - (5+5.2+5.4)/3 = 1.3; (6.2+6+5.5)/3 - (7+7+6.8)/3 = -1.033
  assert.ok(Math.abs(d.rising - 1.3) < 1e-9);
  assert.ok(Math.abs(d.falling + 3.1 / 3) < 1e-9);
});
