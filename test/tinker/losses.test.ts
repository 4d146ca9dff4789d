// The Tinker losses' token gradients against finite differences of their own sums, and their
// refusals. The values themselves are checked against numpy through the SDK (sdk.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LOSS_FUNCTIONS, lossInputs, lossSettings, tokenLosses } from "../../src/tinker/losses.ts";
import type { Tensor } from "../../src/tinker/messages.ts";

const n = 7;
const logprobs = Array.from({ length: n }, (_, t) => -0.3 - 0.4 * t);
// Sampling log-probabilities that put the ratios at 0.5 .. 2, across ppo's clip range.
const q = logprobs.map((lp, t) => lp - Math.log(0.5 + (1.5 * t) / (n - 1)));
const adv = [1.2, -0.7, 0.4, -1.5, 0.9, -0.2, 2.0];
const weights = [0, 0, 1, -0.5, 1, 2, 1];
const tensor = (data: number[]): Tensor => ({
  dtype: "float32",
  shape: [data.length],
  data: Float64Array.from(data),
});
const inputs = new Map<string, Float64Array>([
  ["target_tokens", new Float64Array(n)],
  ["weights", Float64Array.from(weights)],
  ["logprobs", Float64Array.from(q)],
  ["advantages", Float64Array.from(adv)],
]);

for (const lossFn of LOSS_FUNCTIONS) {
  test(`${lossFn}: d(loss)/d(logprob) is the finite difference of the summed loss`, () => {
    const settings = lossSettings(lossFn, {});
    const sum = (lp: number[]) => tokenLosses(lossFn, lp, inputs, settings).loss.reduce((a, b) => a + b, 0);
    const { dlogprobs } = tokenLosses(lossFn, logprobs, inputs, settings);
    const h = 1e-6;
    for (let t = 0; t < n; t++) {
      const up = [...logprobs];
      const down = [...logprobs];
      up[t] += h;
      down[t] -= h;
      const fd = (sum(up) - sum(down)) / (2 * h);
      assert.ok(Math.abs(fd - dlogprobs[t]) < 1e-6, `${lossFn} token ${t}: ${fd} vs ${dlogprobs[t]}`);
    }
  });
}

test("ppo's clipped tokens pass no gradient; its thresholds come from loss_fn_config", () => {
  const narrow = tokenLosses("ppo", logprobs, inputs, lossSettings("ppo", {}));
  const wide = tokenLosses(
    "ppo",
    logprobs,
    inputs,
    lossSettings("ppo", { clip_low_threshold: 0.4, clip_high_threshold: 2.5 }),
  );
  // Ratio 2 with advantage 2 (the last token) is clipped at 1.2, not at 2.5.
  assert.equal(narrow.dlogprobs[n - 1], 0);
  assert.ok(Math.abs(wide.dlogprobs[n - 1] - -2 * 2.0) < 1e-9);
  assert.throws(() => lossSettings("ppo", { clip_low_threshold: 1.1 }), /must hold 1/);
  assert.throws(
    () => lossSettings("cross_entropy", { clip_low_threshold: 0.8 }),
    /not a setting of cross_entropy/,
  );
});

test("a datum's inputs: missing, extra or of the wrong length are refused by name", () => {
  const full = new Map<string, Tensor>([
    ["target_tokens", tensor([1, 2, 3])],
    ["weights", tensor([1, 1, 1])],
  ]);
  assert.equal(lossInputs("cross_entropy", full, 3, 0).size, 2);
  assert.throws(
    () => lossInputs("ppo", full, 3, 4),
    /data\[4\].loss_fn_inputs\["weights"\] is not an input of ppo/,
  );
  assert.throws(
    () => lossInputs("cross_entropy", new Map([["target_tokens", tensor([1, 2, 3])]]), 3, 0),
    /lacks loss_fn_inputs\["weights"\]/,
  );
  assert.throws(() => lossInputs("cross_entropy", full, 4, 1), /has 3 values for 4 input tokens/);
});
