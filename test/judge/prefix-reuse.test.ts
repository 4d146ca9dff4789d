import assert from "node:assert/strict";
import { test } from "node:test";
import { prefixReuseShare } from "../../src/judge/prefix-reuse.ts";
import { DEFAULT_PRINCIPLE_SET } from "../../src/judge/principles.ts";
import { renderJudgeMessages } from "../../src/judge/template.ts";

const words = (t: string) => t.split(" ");

test("prefix reuse: each call's longest prefix shared with any earlier call, over all tokens", () => {
  // a b c | a b d (2 reused of 3) | x (0 of 1): 2 / 7
  assert.equal(prefixReuseShare(["a b c", "a b d", "x"], words), 2 / 7);
  assert.equal(prefixReuseShare(["a b", "a b"], words), 2 / 4);
  assert.equal(prefixReuseShare([], words), 0);
});

test("a BRPO group's prompts share the system message, the request and, reference first, the reference", () => {
  const reference = Array.from({ length: 300 }, (_, i) => `r${i}`).join(" ");
  const member = (m: number) => Array.from({ length: 300 }, (_, i) => `m${m}x${i}`).join(" ");
  const prompts: string[] = [];
  for (let m = 1; m < 8; m++)
    for (const [first, second] of [
      [member(m), reference],
      [reference, member(m)],
    ])
      prompts.push(
        renderJudgeMessages({ prompt: "Write a story.", first, second }, DEFAULT_PRINCIPLE_SET)
          .map((x) => x.content)
          .join("\n"),
      );
  const share = prefixReuseShare(prompts, (t) => t.split(/(?<=\s)/));
  // system (~350 words) + request shared by all but the first call, the reference by 6 of the 7
  // reference-first calls: well over a third of every group's prompt tokens.
  assert.ok(share > 0.4, `share ${share}`);
});
