import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Winner } from "../../src/judge/types.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { allPairs } from "../../src/rl/estimators/all-pairs.ts";
import { brpo } from "../../src/rl/estimators/brpo.ts";
import { scalarAdvantages } from "../../src/rl/estimators/scalar.ts";
import { functionJudge } from "../helpers/judges.ts";

// Responses "r<quality>": the judge below prefers higher quality under both orders.
const q = (s: string) => Number(s.slice(1));
const fair = functionJudge((a, b): Winner[] => {
  const w: Winner = q(a) > q(b) ? "a" : q(a) < q(b) ? "b" : "tie";
  return [w, w];
});
const group = (qualities: number[]) => ({ prompt: "p", responses: qualities.map((x) => `r${x}`) });

describe("BRPO with hand-built outcomes", () => {
  test("+1 for beating the reference, -1 otherwise, 0 for the reference", async () => {
    const res = await brpo(group([5, 1, 9, 5, 7]), fair, {
      seed: 1,
      step: 0,
      groupId: "g",
      skewThreshold: 1,
    });
    const ref = res.referenceIndices[0];
    const refQ = [5, 1, 9, 5, 7][ref];
    const expected = [5, 1, 9, 5, 7].map((x, i) => (i === ref ? 0 : x > refQ ? 1 : -1));
    assert.deepEqual(res.advantages, expected);
    assert.equal(res.comparisons.length, 4);
    assert.equal(res.judgeCalls, 8); // 2 (G-1) x votes
    assert.ok(res.comparisons.every((c) => c.against === ref));
  });

  test("a tie is not a win by default; tie: 0 scores it 0", async () => {
    const qualities = [3, 3, 3, 8];
    for (let seed = 0; seed < 20; seed++) {
      const res = await brpo(group(qualities), fair, { seed, step: 0, groupId: 0, skewThreshold: 1 });
      const ref = res.referenceIndices[0];
      if (qualities[ref] !== 3) continue;
      assert.deepEqual(
        res.advantages,
        qualities.map((x, i) => (i === ref ? 0 : x > 3 ? 1 : -1)),
      );
      const lenient = await brpo(group(qualities), fair, {
        seed,
        step: 0,
        groupId: 0,
        skewThreshold: 1,
        tie: 0,
      });
      assert.deepEqual(
        lenient.advantages,
        qualities.map((x, i) => (i === ref ? 0 : x > 3 ? 1 : 0)),
      );
      return;
    }
    assert.fail("no seed drew a quality-3 reference");
  });

  test("an order-inconsistent verdict counts as -1 (or 0 with inconsistent: 0)", async () => {
    const flip = functionJudge(() => ["a", "b"]);
    const res = await brpo(group([1, 2, 3]), flip, { seed: 3, step: 1, groupId: 0, skewThreshold: 1 });
    assert.deepEqual(
      res.advantages.filter((_, i) => i !== res.referenceIndices[0]),
      [-1, -1],
    );
    assert.equal(res.stats.consistency, 0);
    const lenient = await brpo(group([1, 2, 3]), flip, {
      seed: 3,
      step: 1,
      groupId: 0,
      skewThreshold: 1,
      inconsistent: 0,
    });
    assert.deepEqual(lenient.advantages, [0, 0, 0]);
  });

  test("a failed comparison masks the member and never scores it", async () => {
    const failing = functionJudge((a, b) =>
      a === "r2" ? [null, "a"] : q(a) > q(b) ? ["a", "a"] : ["b", "b"],
    );
    for (let seed = 0; seed < 50; seed++) {
      const res = await brpo(group([1, 2, 3, 4]), failing, { seed, step: 0, groupId: 0, skewThreshold: 1 });
      if (res.referenceIndices[0] === 1) continue;
      assert.equal(res.masked[1], true);
      assert.equal(res.advantages[1], 0);
      assert.equal(res.stats.maskedCount, 1);
      assert.equal(res.stats.failedComparisons, 1);
      return;
    }
  });

  test("the skew filter drops a lopsided group", async () => {
    // Reference is the worst of 5: four wins, sum 4, skew 4/5 = 0.8 > 0.6 -> dropped.
    for (let seed = 0; seed < 50; seed++) {
      const res = await brpo(group([1, 5, 6, 7, 8]), fair, { seed, step: 0, groupId: 0 });
      if (res.referenceIndices[0] !== 0) continue;
      assert.equal(res.dropped, true);
      assert.deepEqual(res.advantages, [0, 0, 0, 0, 0]);
      assert.equal(res.stats.skew, 0.8);
      return;
    }
    assert.fail("no seed drew index 0");
  });

  test("the reference draw is a pure function of (seed, step, group) and is uniform", async () => {
    const draw = async (seed: number, step: number, groupId: string) =>
      (await brpo(group([1, 2, 3, 4]), fair, { seed, step, groupId, skewThreshold: 1 })).referenceIndices[0];
    assert.equal(await draw(7, 3, "x"), await draw(7, 3, "x"));
    const counts = [0, 0, 0, 0];
    for (let s = 0; s < 2000; s++) counts[await draw(1, s, "g")]++;
    for (const c of counts) assert.ok(Math.abs(c / 2000 - 0.25) < 0.04, `counts ${counts}`);
  });

  test("k references average; sub-groups each get their own reference", async () => {
    const res = await brpo(group([1, 2, 3, 4, 5, 6]), fair, {
      seed: 2,
      step: 0,
      groupId: 0,
      skewThreshold: 1,
      references: 2,
    });
    assert.equal(res.referenceIndices.length, 2);
    assert.equal(res.comparisons.length, 10); // each reference vs the 5 others
    const [r1, r2] = res.referenceIndices;
    for (let i = 0; i < 6; i++) {
      const against = [r1, r2].filter((r) => r !== i);
      const expected = against.reduce((s, r) => s + (i + 1 > r + 1 ? 1 : -1), 0) / against.length;
      assert.equal(res.advantages[i], expected);
    }
    const sub = await brpo(group([1, 2, 3, 4, 5, 6, 7, 8]), fair, {
      seed: 2,
      step: 0,
      groupId: 0,
      skewThreshold: 1,
      subgroupSize: 4,
    });
    assert.equal(sub.referenceIndices.length, 2);
    assert.ok(sub.referenceIndices[0] < 4 && sub.referenceIndices[1] >= 4);
    assert.ok(sub.comparisons.every((c) => Math.floor(c.member / 4) === Math.floor(c.against / 4)));
  });

  test("a judge that prefers longer text gives longer responses positive advantages", async () => {
    const longer = functionJudge((a, b): Winner[] => (a.length > b.length ? ["a", "a"] : ["b", "b"]));
    const responses = ["short", "a bit longer", "much much longer than that", "x", "medium one"];
    const res = await brpo({ prompt: "p", responses }, longer, {
      seed: 9,
      step: 0,
      groupId: 0,
      skewThreshold: 1,
    });
    const ref = res.referenceIndices[0];
    responses.forEach((r, i) => {
      if (i !== ref) assert.equal(res.advantages[i], r.length > responses[ref].length ? 1 : -1);
    });
  });

  test("a group of one is an error", async () => {
    await assert.rejects(brpo(group([1]), fair, { seed: 0, step: 0, groupId: 0 }), /at least 2/);
  });
});

// ---------- statistics derived from the binomial distribution ----------

function binomPmf(n: number, k: number, p: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c * p ** k * (1 - p) ** (n - k);
}

/**
 * For G = 16 there are 15 non-reference members; with W wins the sum of advantages is
 * S = W - (15 - W) = 2W - 15 and the group drops when |S| / 16 > 0.6, i.e. |2W - 15| >= 11,
 * i.e. W <= 2 or W >= 13. Returns P(drop) and E[mean advantage over all 16] after the filter.
 */
function derived(pWin: number) {
  let pDrop = 0;
  let meanAfter = 0;
  for (let w = 0; w <= 15; w++) {
    const p = binomPmf(15, w, pWin);
    const s = 2 * w - 15;
    if (Math.abs(s) / 16 > 0.6) pDrop += p;
    else meanAfter += (p * s) / 16;
  }
  return { pDrop, meanAfter };
}

describe("BRPO statistics against the binomial distribution (G = 16, threshold 0.6)", () => {
  const N = 3000;
  async function simulate(winnersFor: (random: () => number) => Winner[]) {
    const random = mulberry32(12345);
    const judge = functionJudge(() => winnersFor(random));
    let dropped = 0;
    let sum = 0;
    for (let g = 0; g < N; g++) {
      const res = await brpo(group(Array.from({ length: 16 }, (_, i) => i)), judge, {
        seed: 1,
        step: g,
        groupId: 0,
      });
      if (res.dropped) dropped++;
      sum += res.advantages.reduce((s, a) => s + a, 0) / 16;
    }
    return { dropRate: dropped / N, meanAdvantage: sum / N };
  }

  test("a position-consistent fair coin: mean advantage ~ 0, drop rate 242/32768", async () => {
    const { pDrop, meanAfter } = derived(0.5);
    assert.ok(Math.abs(pDrop - 242 / 32768) < 1e-12); // (C(15,13)+C(15,14)+C(15,15)) x 2 / 2^15
    assert.equal(Math.abs(meanAfter) < 1e-12, true);
    const sim = await simulate((r) => {
      const w: Winner = r() < 0.5 ? "a" : "b";
      return [w, w];
    });
    const se = Math.sqrt((pDrop * (1 - pDrop)) / N);
    assert.ok(Math.abs(sim.dropRate - pDrop) < 4 * se + 1e-3, `drop rate ${sim.dropRate} vs ${pDrop}`);
    assert.ok(Math.abs(sim.meanAdvantage) < 0.03, `mean advantage ${sim.meanAdvantage}`);
  });

  test("an independent coin per order: win only with p = 1/4, so the mean is negative and many groups drop", async () => {
    const { pDrop, meanAfter } = derived(0.25);
    // P(W <= 2) for W ~ Bin(15, 1/4) dominates: about 0.236; E[mean A] after the filter = (E[S] + 2.79) / 16, about -0.294.
    assert.ok(pDrop > 0.23 && pDrop < 0.24);
    assert.ok(meanAfter < -0.28 && meanAfter > -0.31);
    const sim = await simulate((r) => [r() < 0.5 ? "a" : "b", r() < 0.5 ? "a" : "b"]);
    const se = Math.sqrt((pDrop * (1 - pDrop)) / N);
    assert.ok(Math.abs(sim.dropRate - pDrop) < 4 * se, `drop rate ${sim.dropRate} vs ${pDrop}`);
    assert.ok(
      Math.abs(sim.meanAdvantage - meanAfter) < 0.02,
      `mean advantage ${sim.meanAdvantage} vs ${meanAfter}`,
    );
  });
});

describe("scalar estimators and all-pairs", () => {
  test("GRPO, Dr.GRPO and RLOO on hand-computed rewards", () => {
    const r = [1, 2, 3, 6];
    // mean 3, sample std sqrt((4+1+0+9)/3) = sqrt(14/3)
    const std = Math.sqrt(14 / 3);
    const grpo = scalarAdvantages("grpo", r, 0).advantages;
    for (const [i, d] of [-2, -1, 0, 3].entries()) assert.ok(Math.abs(grpo[i] - d / std) < 1e-12);
    assert.deepEqual(scalarAdvantages("drgrpo", r).advantages, [-2, -1, 0, 3]);
    // RLOO: r_i - mean of the other three
    assert.deepEqual(scalarAdvantages("rloo", r).advantages, [1 - 11 / 3, 2 - 10 / 3, 3 - 3, 6 - 2]);
  });

  test("a failed scalar reward is masked and left out of the statistics", () => {
    const res = scalarAdvantages("drgrpo", [1, null, 3]);
    assert.deepEqual(res.advantages, [-1, 0, 1]);
    assert.deepEqual(res.masked, [false, true, false]);
  });

  test("all-pairs: wins minus losses over G-1, centred, G(G-1) judge calls", async () => {
    const res = await allPairs(group([1, 2, 3, 4]), fair);
    assert.deepEqual(res.advantages, [-1, -1 / 3, 1 / 3, 1]);
    assert.equal(res.comparisons.length, 6);
    assert.equal(res.judgeCalls, 12);
  });
});
