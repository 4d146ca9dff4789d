// SFT's loss start: prompt positions take no loss and give no gradient.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evalLoss, pretrain } from "../../src/model/pretrain.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** d(mean NLL of the scored positions)/d(weights), computed directly by forward and backward. */
function gradientOf(seq: number[], scored: (t: number) => boolean): Float64Array {
  const m = randomModel(tinyConfig(), 5);
  const targets = seq.map((_, t) => (scored(t) && t + 1 < seq.length ? seq[t + 1] : -1));
  const n = targets.filter((x) => x >= 0).length;
  m.zeroGrad();
  m.forward(seq, targets);
  const d = new Float64Array(seq.length);
  targets.forEach((x, t) => {
    if (x >= 0) d[t] = -1 / n;
  });
  m.backward(d);
  return Float64Array.from(m.trainable().grads.data);
}

test("pretrain with lossStart: the gradient is the response positions' only", () => {
  const seq = randomTokens(12, 37, 9);
  const start = 7; // positions 7..10 predict the "response" tokens 8..11
  const m = randomModel(tinyConfig(), 5);
  let reported = Number.NaN;
  // One step; the gradient of that step stays in the model's buffers (clipped to norm <= 1e6: untouched).
  pretrain(m, [seq], {
    steps: 1,
    batchSize: 1,
    lr: 1e-12,
    seed: 1,
    clip: 1e6,
    lossStart: [start],
    onStep: ({ loss }) => {
      reported = loss;
    },
  });
  const trained = m.trainable().grads.data;
  const responseOnly = gradientOf(seq, (t) => t >= start);
  const everything = gradientOf(seq, () => true);
  assert.ok(cosine(trained, responseOnly) > 0.999999, `cosine ${cosine(trained, responseOnly)}`);
  assert.ok(cosine(trained, everything) < 0.99, "the prompt positions would change the direction");
  // The reported loss is the response positions' mean NLL, not the whole sequence's.
  const fresh = randomModel(tinyConfig(), 5);
  const { logprobs } = fresh.forward(
    seq,
    seq.map((_, t) => (t + 1 < seq.length ? seq[t + 1] : -1)),
    false,
  );
  let nll = 0;
  for (let t = start; t < seq.length - 1; t++) nll -= logprobs[t];
  assert.ok(Math.abs(reported - nll / (seq.length - 1 - start)) < 1e-9);
  assert.ok(Math.abs(reported - evalLoss(fresh, [seq])) > 1e-3);
});
