// The near-tie-aware agreement measure that compares our distributions with llama.cpp's: on
// synthetic rows with a known noise, it measures that noise, excuses a flip at a near tie and
// counts a confident one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compareDistributions, newAgreement, settle } from "../helpers/agreement.ts";
import { softmaxRows } from "../helpers/models.ts";

/** Deterministic standard normals (Box-Muller over a small LCG). */
function normals(seed: number): () => number {
  let s = seed;
  const u = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s + 0.5) / 2 ** 31;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

test("sigma is the noise on a logit; a near-tie flip is excused, a confident flip is real", () => {
  const T = 60;
  const V = 64;
  const sigma = 0.05;
  const n = normals(7);
  const ours = new Float64Array(T * V).map(() => 3 * n());
  const theirsLogits = ours.map((x) => x + sigma * n());
  const top = (row: number) => {
    const r = Array.from({ length: V }, (_, j) => j).sort((a, b) => ours[row * V + b] - ours[row * V + a]);
    return [r[0], r[1]];
  };
  // Position 10: ours prefers a by 2 nats (40 sigma); theirs prefers b by 2. A real disagreement.
  let [a, b] = top(10);
  ours[10 * V + a] = ours[10 * V + b] + 2;
  theirsLogits[10 * V + b] = theirsLogits[10 * V + a] + 2;
  // Position 20: a tie within 0.01 nats that the noise turns over. Not a real flip.
  [a, b] = top(20);
  ours[20 * V + a] = ours[20 * V + b] + 0.01;
  theirsLogits[20 * V + b] = theirsLogits[20 * V + a] + 0.01;
  const agreement = newAgreement();
  compareDistributions(ours, softmaxRows(theirsLogits, T, V), V, agreement);
  settle(agreement);
  assert.ok(Math.abs(agreement.sigma - sigma) < 0.2 * sigma, `sigma ${agreement.sigma}`);
  const flipped = agreement.flips.map((f) => f.position);
  assert.ok(flipped.includes(10) && flipped.includes(20), `flips at ${flipped}`);
  assert.equal(agreement.realFlips, 1);
  assert.ok(agreement.flips.find((f) => f.position === 10)!.margin > 30);
  assert.ok(agreement.flips.find((f) => f.position === 20)!.margin < 1);
});
