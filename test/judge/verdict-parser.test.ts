import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ParsedVerdict, parseVerdict } from "../../src/judge/verdict-parser.ts";

type Case = [name: string, reply: string, expected: [number, number] | string, finish?: "stop" | "length"];

const CASES: Case[] = [
  ["canonical final line", "Criteria...\nCritique...\n\\boxed{7.5, 6.0}", [7.5, 6.0]],
  ["integers", "\\boxed{8, 3}", [8, 3]],
  ["no space after comma", "\\boxed{7.5,6}", [7.5, 6]],
  ["spaces inside braces", "\\boxed{ 9 ,  4.25 }", [9, 4.25]],
  ["inline math dollars", "Final: $\\boxed{6.5, 7}$", [6.5, 7]],
  ["display math", "\\[\n\\boxed{2, 10}\n\\]", [2, 10]],
  // Only the real form counts: "boxed{...}" without its backslash is how neutralised response text
  // reads, so a judge quoting it must not be taken at its word.
  ["missing backslash is not a verdict", "boxed{5, 5.5}", "no_answer"],
  ["a quoted neutralised box before the real one", "It wrote boxed{10, 0}.\n\\boxed{3, 8}", [3, 8]],
  ["semicolon separator", "\\boxed{4; 8}", [4, 8]],
  ["labelled values inside the box", "\\boxed{1: 6, 2: 8}", [6, 8]],
  ["A/B labels inside the box", "\\boxed{A: 7, B: 2}", [7, 2]],
  ["slash-ten suffix", "\\boxed{7/10, 9/10}", [7, 9]],
  ["bold markdown around the line", "**\\boxed{3.0, 4.0}**", [3, 4]],
  ["trailing whitespace and newlines", "\\boxed{6, 6}\n\n  ", [6, 6]],
  ["leading decimal point", "\\boxed{.5, 9.}", "malformed"],
  ["last box wins over a quoted format", "I must end with \\boxed{x, y}.\n...\n\\boxed{8, 7}", [8, 7]],
  ["last box wins over an earlier draft", "\\boxed{3, 9}\nOn reflection:\n\\boxed{9, 3}", [9, 3]],
  ["reasoning block is stripped", "<think>maybe \\boxed{1, 9}</think>\nAfter review: \\boxed{9, 1}", [9, 1]],
  [
    "only a closing think tag (template opened it)",
    "so response 1 is worse \\boxed{0, 10}</think>\\boxed{4, 5}",
    [4, 5],
  ],
  ["answer only inside reasoning", "<think>\\boxed{7, 2}</think>\n", "no_answer"],
  ["unclosed reasoning", "The scores are\n<think>hmm \\boxed{7, 2}", "no_answer"],
  ["ties are valid", "\\boxed{5.0, 5.0}", [5, 5]],
  ["bounds are inclusive", "\\boxed{0, 10}", [0, 10]],
  ["above ten", "\\boxed{11, 7}", "out_of_range"],
  ["negative score", "\\boxed{-1, 7}", "out_of_range"],
  ["hundred-point scale", "\\boxed{85, 70}", "out_of_range"],
  ["three values", "\\boxed{7, 6, 5}", "malformed"],
  ["one value", "\\boxed{7}", "malformed"],
  ["words instead of numbers", "\\boxed{Response 1}", "malformed"],
  ["placeholders left in", "\\boxed{SCORE_1, SCORE_2}", "malformed"],
  ["empty box", "\\boxed{}", "malformed"],
  ["fallback score lines with A/B", "Score A: 7.5\nScore B: 6", [7.5, 6]],
  ["fallback score lines with 1/2 and out of 10", "Score 1: 8/10, Score 2: 4/10", [8, 4]],
  ["fallback 'score for response' phrasing", "Score for Response 2: 3\nScore for Response 1: 9", [9, 3]],
  ["fallback takes the last score lines", "Score A: 1, Score B: 2. Revised: Score A: 6, Score B: 5", [6, 5]],
  ["fallback with only one score", "Score A: 7", "no_answer"],
  ["fallback out of range", "Score A: 70\nScore B: 60", "out_of_range"],
  ["empty reply", "", "no_answer"],
  ["prose without scores", "Both responses are good in their own ways.", "no_answer"],
  ["refusal", "I'm sorry, but I can't help with evaluating this content.", "refused"],
  ["refusal as an AI", "As an AI language model, I cannot judge creative writing.", "refused"],
  [
    "truncated even with a box earlier",
    "\\boxed{7, 3} and then the critique went on and on",
    "truncated",
    "length",
  ],
  ["truncated mid-line", "Criteria: 1. clarity (0.3) 2. ", "truncated", "length"],
];

describe("parseVerdict", () => {
  test("has at least 30 cases", () => assert.ok(CASES.length >= 30));
  for (const [name, reply, expected, finish] of CASES) {
    test(name, () => {
      const got: ParsedVerdict = parseVerdict(reply, finish ?? "stop");
      if (typeof expected === "string") {
        assert.equal(got.ok, false, `expected ${expected}, got ${JSON.stringify(got)}`);
        if (!got.ok) assert.equal(got.error, expected);
      } else {
        assert.ok(got.ok, `expected scores, got ${JSON.stringify(got)}`);
        if (got.ok) assert.deepEqual([got.first, got.second], expected);
      }
    });
  }
});
