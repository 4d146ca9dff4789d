// The independently built held-out pairs: every kind present, every label the gold's, every prompt
// from the held-out split, and none of them a pair the training generator writes the same way.
import assert from "node:assert/strict";
import { test } from "node:test";
import { INDEPENDENT_KINDS, makeIndependentPairs } from "../../src/world/independent-pairs.ts";
import { goldChecks, goldScore, parseGoldRequest } from "../../src/world/tiny-gold.ts";
import { makeJudgePairs } from "../../src/world/tiny-judge-data.ts";

test("n pairs of each kind, labelled by the gold, on held-out prompts, in both orders", () => {
  const pairs = makeIndependentPairs(25, 3);
  assert.deepEqual(
    INDEPENDENT_KINDS.map((k) => pairs.filter((p) => p.kind === k).length),
    INDEPENDENT_KINDS.map(() => 25),
  );
  for (const p of pairs) {
    const req = parseGoldRequest(p.prompt)!;
    const a = goldScore(goldChecks(req, p.response_a));
    const b = goldScore(goldChecks(req, p.response_b));
    assert.equal(p.label, a > b ? "a" : "b", p.id);
    assert.notEqual(a, b);
    assert.match(p.id, /^independent-/);
  }
  const firsts = pairs.filter((p) => p.label === "a").length;
  assert.ok(firsts > 50 && firsts < 100, `the better response is first in ${firsts} of 150`);
});

test("the training generator does not write these pairs", () => {
  const training = new Set(
    makeJudgePairs(3000, 3, ["pretrain", "train", "eval"], { minimalShare: 0.3, tasteShare: 0.2 }).map(
      (p) => `${p.response_a}|${p.response_b}`,
    ),
  );
  const overlap = makeIndependentPairs(25, 3).filter(
    (p) => training.has(`${p.response_a}|${p.response_b}`) || training.has(`${p.response_b}|${p.response_a}`),
  );
  // single-sentence kinds can coincide by chance with a constructed pair; most cannot
  assert.ok(overlap.length < 15, `${overlap.length} of 150 also made by the training generator`);
});
