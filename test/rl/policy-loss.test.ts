import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { policyLoss } from "../../src/rl/policy-loss.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe("clipped policy loss", () => {
  test("a hand-computed case: ratios inside, above and below the clip range", () => {
    const opts = { clipLow: 0.2, clipHigh: 0.28, klCoef: 0 };
    // Sequence 1 (A = +1): ratios 1, 1.5 (clipped: 1.28 < 1.5), 0.5 (unclipped: 0.5 < 0.8).
    // Sequence 2 (A = -1): ratio 0.5 -> clipped objective -0.8 < -0.5, so the clipped branch wins.
    const s1 = { logp: [0, Math.log(1.5), Math.log(0.5)], logpOld: [0, 0, 0], advantage: 1 };
    const s2 = { logp: [Math.log(0.5)], logpOld: [0], advantage: -1 };
    const r = policyLoss([s1, s2], opts);
    // L = -(1 + 1.28 + 0.5 + (-0.8)) / 4
    close(r.loss, -(1 + 1.28 + 0.5 - 0.8) / 4);
    // dL/dlogp = -A ratio / N where unclipped, 0 where clipped.
    assert.deepEqual(
      [...r.grads[0]].map((x) => +x.toFixed(12)),
      [-0.25, 0, -0.125],
    );
    assert.deepEqual([...r.grads[1]], [0]);
    close(r.clipFraction, 2 / 4);
    assert.equal(r.tokens, 4);
    assert.equal(r.kl, null);
  });

  test("the gradient matches finite differences of the loss (with KL)", () => {
    const opts = { clipLow: 0.2, clipHigh: 0.28, klCoef: 0.3 };
    const base = {
      logp: [-1.0, -2.1, -0.3],
      logpOld: [-1.05, -2.0, -0.31],
      logpRef: [-0.9, -2.5, -0.2],
      advantage: 0.7,
    };
    const r = policyLoss([base], opts);
    const h = 1e-6;
    for (let t = 0; t < 3; t++) {
      const up = { ...base, logp: base.logp.map((x, i) => (i === t ? x + h : x)) };
      const down = { ...base, logp: base.logp.map((x, i) => (i === t ? x - h : x)) };
      const fd = (policyLoss([up], opts).loss - policyLoss([down], opts).loss) / (2 * h);
      close(r.grads[0][t], fd, 1e-7);
    }
    // k3 KL is non-negative and zero only when the policies agree.
    assert.ok(r.kl! > 0);
    const same = policyLoss([{ ...base, logpRef: base.logp }], opts);
    close(same.kl!, 0);
  });

  test("a zero advantage contributes no gradient but counts in N (the loop leaves masked and dropped members out)", () => {
    const r = policyLoss([
      { logp: [-1, -1], logpOld: [-1, -1], advantage: 0 },
      { logp: [-1, -1], logpOld: [-1, -1], advantage: 1 },
    ]);
    assert.deepEqual(
      [...r.grads[0]].map((x) => x + 0),
      [0, 0],
    );
    assert.deepEqual([...r.grads[1]], [-0.25, -0.25]);
  });
});
