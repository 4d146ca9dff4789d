// The gold as evaluation judge: for the tiny world's own prompts, generated or written to a file
// (the experiment's arms share one prompt file); never for prompts it cannot read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEvaluator } from "../../src/recipes/evaluator.ts";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import { makePrompts } from "../../src/world/constrained-writing.ts";

const training = { judge: { name: "rules:x" } } as never;

test("eval.judge gold accepts a file of tiny-world requests and names a prompt it cannot read", () => {
  const config = parseTrainConfig("data: {prompts: p.jsonl}\neval: {judge: gold}\n");
  const tiny = makePrompts(4, 1, "train").map((p) => ({ id: p.id, prompt: p.prompt }));
  const ev = createEvaluator(config, training, undefined, tiny);
  assert.ok(ev.independent);
  assert.match(ev.judge.name, /^gold:/);
  assert.throws(
    () =>
      createEvaluator(config, training, undefined, [
        ...tiny,
        { id: "poem-7", prompt: "Write a poem about rain." },
      ]),
    /prompt poem-7 is not one/,
  );
  assert.throws(() => createEvaluator(config, training, undefined, []), /knows only the tiny world/);
});
