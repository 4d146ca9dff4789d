// The GenRM task: both orders of a pair, drawn together, rendered by the inference template;
// rewards from the GenRM reward; dynamic sampling drops groups whose rewards are all equal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_GENRM_REWARD } from "../../src/judge/genrm-reward.ts";
import { DEFAULT_PRINCIPLE_SET } from "../../src/judge/principles.ts";
import { renderCompactMessages } from "../../src/judge/template.ts";
import { genrmTask, judgePrompts } from "../../src/recipes/genrm/task.ts";

const pairs = [
  { id: "p1", prompt: "Write about rain.", responseA: "Rain falls.", responseB: "xx", label: "a" as const },
  { id: "p2", prompt: "Write about snow.", responseA: "yy", responseB: "Snow falls.", label: "b" as const },
  { id: "p3", prompt: "Write about wind.", responseA: "Wind blows.", responseB: "zz", label: "a" as const },
];
const prompts = judgePrompts(pairs, "compact", DEFAULT_PRINCIPLE_SET);
const task = genrmTask({
  prompts,
  template: "compact",
  estimator: "grpo",
  reward: DEFAULT_GENRM_REWARD,
  seed: 1,
});
const reply = (a: number, b: number) => `1: x.\n2: y.\n\\boxed{${a}, ${b}}`;

test("each pair becomes two prompts, rendered as at inference, with the preferred position", () => {
  assert.equal(prompts.length, 6);
  const [ab, ba] = prompts;
  assert.deepEqual(
    ab.messages,
    renderCompactMessages({ prompt: "Write about rain.", first: "Rain falls.", second: "xx" }),
  );
  assert.deepEqual(
    ba.messages,
    renderCompactMessages({ prompt: "Write about rain.", first: "xx", second: "Rain falls." }),
  );
  assert.equal(ab.preferred, "first");
  assert.equal(ba.preferred, "second");
  assert.equal(prompts[2].preferred, "second"); // p2 ab: b is preferred and shown second
  assert.throws(
    () => judgePrompts([{ ...pairs[0], label: undefined }], "compact", DEFAULT_PRINCIPLE_SET),
    /no label/,
  );
});

test("a step draws whole pairs, seeded", () => {
  const drawn = task.drawPrompts!(0, 4, 0);
  assert.equal(drawn.length, 4);
  const ids = drawn.map((p) => p.id);
  for (const id of ids)
    assert.ok(ids.includes(id.endsWith(":ab") ? id.replace(":ab", ":ba") : id.replace(":ba", ":ab")));
  assert.deepEqual(
    task.drawPrompts!(0, 4, 0).map((p) => p.id),
    ids,
  );
});

test("rewards become GRPO advantages; an all-equal group is dropped (dynamic sampling)", () => {
  const [ab, ba] = prompts;
  const [g1, g2] = task.scoreStep!(
    [ab, ba],
    [
      [reply(9, 1), reply(1, 9), "no verdict", reply(9, 1)], // right, wrong, format, right
      [reply(1, 9), reply(1, 9), reply(1, 9), reply(1, 9)], // all right the same way: no signal
    ],
  );
  assert.equal(g1.dropped, false);
  assert.ok(g1.advantages[0] > 0 && g1.advantages[3] > 0);
  assert.ok(
    g1.advantages[1] < g1.advantages[2],
    "a confident wrong verdict (-1.5) is below a broken format (-1)",
  );
  assert.equal(g2.dropped, true);
  assert.deepEqual(g2.advantages, [0, 0, 0, 0]);
});

test("step metrics: accuracy, format failures, first-position rate, consistency across orders", () => {
  const [ab, ba] = prompts;
  const m = task.stepMetrics!(
    [ab, ba],
    [
      [reply(9, 1), reply(9, 1), "broken"], // picks first = response a (right)
      [reply(1, 9), reply(9, 1), reply(1, 9)], // modal pick second = response a (right, consistent)
    ],
  );
  assert.equal(m.genrm_accuracy, 4 / 6);
  assert.equal(m.genrm_format_failures, 1 / 6);
  assert.equal(m.genrm_first_position_rate, 3 / 5);
  assert.equal(m.genrm_consistency, 1);
});
