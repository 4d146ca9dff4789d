// The labelling model: hand-worked cases of each rule, and the whole labeller against the gold's
// own checks (computed here, not taken from the labeller).
import assert from "node:assert/strict";
import { test } from "node:test";
import { goldChecks, goldScore, parseGoldRequest } from "../../src/world/tiny-gold.ts";
import { makeRatedPairs, NO_BIAS, rateFacts, tallyLabels } from "../../src/world/tiny-labeller.ts";

const fixed = (...draws: number[]) => {
  let i = 0;
  return () => draws[i++ % draws.length];
};
const facts = (score: number, words: number, commentary = false) => ({ score, words, commentary });

test("a clear pair follows the gold, or flips with the noise", () => {
  const cfg = { noise: 0.1, tieMargin: 1, explainBias: 1, lengthBias: 1 };
  // gap 3 >= margin: biases never apply; a draw of 0.5 is above the noise
  assert.deepEqual(rateFacts(facts(9, 5), facts(6, 20, true), cfg, fixed(0.5)), {
    label: "a",
    gold: "a",
    reason: "gold",
  });
  // a draw of 0.05 is below the noise: the careless rater flips it
  assert.deepEqual(rateFacts(facts(9, 5), facts(6, 20, true), cfg, fixed(0.05)), {
    label: "b",
    gold: "a",
    reason: "noise",
  });
});

test("in a near tie the leanings pick self-explanation, then length; else the gold or a coin", () => {
  const both = { noise: 0, tieMargin: 1, explainBias: 0.7, lengthBias: 0.7 };
  // gap 0.91 < 1; b explains itself; draw 0.2 < 0.7
  assert.equal(rateFacts(facts(10, 8), facts(9.09, 14, true), both, fixed(0.2)).reason, "explain");
  assert.equal(rateFacts(facts(10, 8), facts(9.09, 14, true), both, fixed(0.2)).label, "b");
  // the explain draw misses (0.9), the length draw hits (0.2): the longer, b
  const r = rateFacts(facts(10, 8), facts(9.09, 14, true), both, fixed(0.9, 0.2));
  assert.deepEqual(r, { label: "b", gold: "a", reason: "length" });
  // neither leaning fires: the gold's side
  assert.deepEqual(rateFacts(facts(10, 8), facts(9.09, 14, true), both, fixed(0.9, 0.9)), {
    label: "a",
    gold: "a",
    reason: "gold",
  });
  // no commentary difference: the explain leaning cannot apply and takes no draw
  assert.equal(rateFacts(facts(9.09, 20), facts(10, 8), both, fixed(0.2)).label, "a");
  // an exact tie of equal length and no commentary: a coin (0.7 -> b)
  assert.deepEqual(rateFacts(facts(8, 8), facts(8, 8), NO_BIAS, fixed(0.7)), {
    label: "b",
    gold: null,
    reason: "coin",
  });
});

test("with no bias and no noise the labeller is the gold; with full bias every lean is real", () => {
  const clean = makeRatedPairs(300, 4, "pretrain", NO_BIAS);
  for (const p of clean) if (p.gold_label) assert.equal(p.label, p.gold_label, p.id);
  const leaning = makeRatedPairs(300, 4, "pretrain", {
    noise: 0,
    tieMargin: 1,
    explainBias: 1,
    lengthBias: 1,
  });
  const tally = tallyLabels(leaning);
  assert.ok(tally.reasons.explain > 10 && tally.reasons.length > 10, JSON.stringify(tally));
  for (const p of leaning) {
    const req = parseGoldRequest(p.prompt)!;
    const [a, b] = [goldChecks(req, p.response_a), goldChecks(req, p.response_b)];
    const chosen = p.label === "a" ? a : b;
    const other = p.label === "a" ? b : a;
    if (p.reason === "explain") assert.ok(!chosen.noCommentary && other.noCommentary, p.id);
    if (p.reason === "length") assert.ok(chosen.words > other.words, p.id);
    if (p.reason !== "gold")
      assert.ok(Math.abs(goldScore(a) - goldScore(b)) < 1, `${p.id}: leaning on a clear pair`);
    assert.notEqual(p.response_a, p.response_b);
  }
  // the biased labels disagree with the gold exactly where a leaning chose the gold's loser
  const against = leaning.filter((p) => p.gold_label && p.label !== p.gold_label);
  assert.ok(against.every((p) => p.reason === "explain" || p.reason === "length"));
  assert.equal(tally.pairs, 300);
});
