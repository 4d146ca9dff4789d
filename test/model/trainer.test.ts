// The shared trainer scaffold: one global norm over every group (the same as clipping the groups
// concatenated), AdamW per group at the scheduled rate, and the same bits as the optimizer used
// directly, so the loops that moved onto it train exactly as before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AdamW, clipGradNorm, learningRate } from "../../src/model/optimizer.ts";
import type { TensorSpec } from "../../src/model/params.ts";
import { Trainer } from "../../src/model/trainer.ts";

const spec = (name: string, n: number): TensorSpec[] => [{ name, shape: [1, n], offset: 0, size: n }];

test("two groups are clipped by one norm over both, as if concatenated", () => {
  const a = Float64Array.from([3, 0, 4]);
  const b = Float64Array.from([12]);
  const norm = clipGradNorm([a, b], 6.5);
  assert.equal(norm, 13);
  const joined = Float64Array.from([3, 0, 4, 12]);
  clipGradNorm(joined, 6.5);
  assert.deepEqual([...a, ...b], [...joined]);
  assert.ok(Math.abs(Math.hypot(...a, ...b) - 6.5) < 1e-9);
});

test("apply() is clip then AdamW per group at the given rate, bit for bit", () => {
  const make = () => ({
    p1: Float64Array.from([0.5, -0.25, 1]),
    g1: Float64Array.from([0.3, -2, 0.1]),
    p2: Float64Array.from([2]),
    g2: Float64Array.from([5]),
  });
  const x = make();
  const schedule = { kind: "cosine" as const, warmupSteps: 2, totalSteps: 10 };
  const trainer = new Trainer(
    [
      { params: x.p1, grads: x.g1, specs: spec("w", 3) },
      { params: x.p2, grads: x.g2, specs: spec("h", 1) },
    ],
    { lr: 0.1, weightDecay: 0.01, schedule, gradClip: 1 },
  );
  const y = make();
  const o1 = new AdamW(spec("w", 3), 3, { lr: 0.1, weightDecay: 0.01 });
  const o2 = new AdamW(spec("h", 1), 1, { lr: 0.1, weightDecay: 0.01 });
  for (let step = 0; step < 3; step++) {
    assert.equal(trainer.lrAt(step), learningRate(0.1, schedule, step));
    const norm = trainer.apply(trainer.lrAt(step));
    const want = clipGradNorm([y.g1, y.g2], 1);
    o1.step(y.p1, y.g1, learningRate(0.1, schedule, step));
    o2.step(y.p2, y.g2, learningRate(0.1, schedule, step));
    assert.equal(norm, want);
    assert.deepEqual([...x.p1, ...x.p2], [...y.p1, ...y.p2]);
  }
  assert.notDeepEqual([...x.p1], [0.5, -0.25, 1], "the parameters moved");
});
