// The GenRM reward against hand-computed cases (formulas in docs/genrm-training.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkFormat, genrmReward } from "../../src/judge/genrm-reward.ts";

const R = (reply: string, preferred: "first" | "second", firstPositionRate: number | null = null) =>
  genrmReward({ reply, preferred, template: "compact", firstPositionRate });

test("a correct, confident verdict: accuracy 1 plus the margin (gap 6 of scale 5 -> the whole 0.5)", () => {
  const r = R("1: fluent\n2: not fluent\n\\boxed{8, 2}", "first");
  assert.equal(r.format, true);
  assert.equal(r.correct, true);
  assert.equal(r.accuracy, 1);
  assert.equal(r.margin, 0.5);
  assert.equal(r.reward, 1.5);
});

test("a wrong verdict costs accuracy and margin: gap 2 -> -1 - 0.5 x 2/5 = -1.2", () => {
  const r = R("1: ok\n2: ok\n\\boxed{6, 4}", "second");
  assert.equal(r.correct, false);
  assert.ok(Math.abs(r.reward - -1.2) < 1e-12);
});

test("a tie scores -0.5 and no margin", () => {
  const r = R("1: ok\n2: ok\n\\boxed{5, 5}", "first");
  assert.equal(r.picked, "tie");
  assert.equal(r.reward, -0.5);
});

test("format: stricter than a box anywhere", () => {
  assert.equal(R("\\boxed{8, 2}", "first").format, false, "compact needs the 1: and 2: lines");
  assert.equal(R("1: a\n2: b\n\\boxed{8, 2} and more", "first").format, false);
  assert.equal(R("1: a \\boxed{1, 2}\n2: b\n\\boxed{8, 2}", "first").format, false, "two boxes");
  assert.equal(R("1: a\n2: b\n\\boxed{11, 2}", "first").reward, -1, "out of range");
  assert.equal(R("1: a\n2: b", "first").reward, -1);
  assert.equal(checkFormat("Criteria ...\nScores ...\n\\boxed{7.5, 6}", "full"), null);
  assert.match(checkFormat("\\boxed{7.5, 6}\nthanks", "full") ?? "", /last line/);
});

test("position-bias weight: a correct pick of the over-picked side earns less, of the other side more", () => {
  // The judge picks the first position 80 % of the time.
  const first = R("1: a\n2: b\n\\boxed{7, 6}", "first", 0.8); // gap 1: margin 0.1
  assert.ok(Math.abs(first.weight - 0.625) < 1e-12); // 0.5 / 0.8
  assert.ok(Math.abs(first.reward - 0.625 * 1.1) < 1e-12);
  const second = R("1: a\n2: b\n\\boxed{6, 7}", "second", 0.8);
  assert.equal(second.weight, 2); // 0.5 / 0.2 = 2.5, clipped to 2
  assert.ok(Math.abs(second.reward - 2 * 1.1) < 1e-12);
  // wrong verdicts are not weighted
  assert.ok(Math.abs(R("1: a\n2: b\n\\boxed{7, 6}", "second", 0.8).reward - -1.1) < 1e-12);
  assert.equal(R("1: a\n2: b\n\\boxed{7, 6}", "first", 0.5).weight, 1);
});
