import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MinuteWindow } from "../../src/llm/limits.ts";
import { AdamW, clipGradNorm, learningRate } from "../../src/model/optimizer.ts";

describe("AdamW", () => {
  test("one step matches the hand-computed update, with decay on matrices only", () => {
    const specs = [
      { name: "w", shape: [1, 2], offset: 0, size: 2 },
      { name: "g", shape: [1], offset: 2, size: 1 },
    ];
    const opt = new AdamW(specs, 3, { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
    const p = new Float32Array([1, -2, 3]);
    const g = new Float32Array([0.5, -1, 2]);
    opt.step(p, g, 0.1);
    // After one step m/(1-b1) = g and v/(1-b2) = g^2, so the Adam update is g/|g| = sign(g).
    // Decoupled decay: p -= lr * wd * p for matrices (w), not for gains (g).
    const expected = [1 - 0.1 * (1 + 0.5 * 1), -2 - 0.1 * (-1 + 0.5 * -2), 3 - 0.1 * 1];
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(p[i] - expected[i]) < 1e-6, `${p[i]} vs ${expected[i]}`);
  });

  test("global-norm clipping scales to the limit and reports the norm before", () => {
    const g = new Float32Array([3, 4]);
    assert.equal(clipGradNorm(g, 1), 5);
    assert.ok(Math.abs(Math.hypot(g[0], g[1]) - 1) < 1e-6);
    const small = new Float32Array([0.3, 0.4]);
    clipGradNorm(small, 1);
    assert.deepEqual(Array.from(small), [0.30000001192092896, 0.4000000059604645]);
  });

  test("warmup + cosine schedule", () => {
    const s = { kind: "cosine" as const, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
    assert.equal(learningRate(1, s, 0), 0.1);
    assert.equal(learningRate(1, s, 9), 1);
    assert.ok(Math.abs(learningRate(1, s, 60) - 0.55) < 1e-12); // halfway: 0.1 + 0.9 x 0.5
    assert.ok(Math.abs(learningRate(1, s, 110) - 0.1) < 1e-12);
    assert.equal(learningRate(0.3, { kind: "constant" }, 1000), 0.3);
  });
});

describe("per-minute budgets", () => {
  test("a request beyond the budget waits until the window slides", async () => {
    let now = 0;
    const w = new MinuteWindow(2, () => now);
    await w.take(1);
    await w.take(1);
    let third = false;
    const p = w.take(1).then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(third, false);
    now = 60_001;
    await p;
    assert.equal(third, true);
  });
});
