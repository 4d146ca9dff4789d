// What a judge that learns from the main job's raters can reach on the independent held-out
// kinds (issue 27's judge target: 85 % pooled, every kind 70 %). Each pair is rated by 15
// independent draws of the raters (noise 0.05, tie margin 1, explain and length leanings 0.7, the
// main job's config); the majority of the draws is what a judge fitting the raters perfectly would
// say. Every kind but repetition: the raters follow the gold. On the repetition kind the gold's gap
// (0.06 of 10 points) is under the raters' tie margin and the repeated response is the longer one,
// so most raters prefer it: a judge that learns the raters' preferences is wrong there, by
// construction. The figures are printed for the docs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { INDEPENDENT_KINDS, makeIndependentPairs } from "../../src/world/independent-pairs.ts";
import { ratePairs } from "../../src/world/tiny-labeller.ts";

const RATERS = { noise: 0.05, tieMargin: 1, explainBias: 0.7, lengthBias: 0.7 };

test("the raters' majority is right on the independent kinds except repetition, where it is wrong", () => {
  const rows: string[] = [];
  let right = 0;
  let total = 0;
  const byKind = new Map<string, { one: number; majority: number; n: number }>();
  for (const seed of [1, 2, 3]) {
    const pairs = makeIndependentPairs(100, seed);
    const unlabelled = pairs.map(({ label: _, ...p }) => p);
    const draws = Array.from({ length: 15 }, (_, d) => ratePairs(unlabelled, RATERS, seed * 1000 + d));
    pairs.forEach((p, i) => {
      const kind = INDEPENDENT_KINDS.find((k) => p.id.startsWith(`independent-${k}-`))!;
      const votesA = draws.filter((d) => d[i].label === "a").length;
      const majority = votesA > draws.length / 2 ? "a" : "b";
      const e = byKind.get(kind) ?? { one: 0, majority: 0, n: 0 };
      e.n++;
      if (draws[0][i].label === p.label) e.one++;
      if (majority === p.label) e.majority++;
      byKind.set(kind, e);
    });
  }
  for (const [kind, e] of byKind) {
    rows.push(
      `${kind}: one rater ${((100 * e.one) / e.n).toFixed(1)} %, majority ${((100 * e.majority) / e.n).toFixed(1)} %`,
    );
    right += e.majority;
    total += e.n;
    if (kind === "repetition") assert.ok(e.majority / e.n < 0.1, `repetition: ${e.majority}/${e.n}`);
    else assert.ok(e.majority / e.n > 0.85, `${kind}: ${e.majority}/${e.n}`);
  }
  assert.equal(byKind.size, INDEPENDENT_KINDS.length);
  rows.push(`pooled, majority: ${((100 * right) / total).toFixed(1)} % of ${total}`);
  console.log(
    `the raters against the gold on the independent kinds (300 pairs a kind):\n  ${rows.join("\n  ")}`,
  );
  // the pooled ceiling of a judge that imitates the raters is at most the 85 % target (85.0 % with
  // the seven kinds; 82.5 % before brokenWord joined them), and repetition keeps it under the
  // target's other half, every kind at 70 %
  assert.ok(right / total <= 0.85 + 1e-12, `${right}/${total}`);
});
