// Accuracy by kind of pair: a judge's figure is a set of kinds, not one number. Hand-worked: the
// judge is right on both taste pairs, wrong on the off-topic one, and a pair with no kind or no
// label is counted in no kind.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pair } from "../../src/data/pairs.ts";
import { parsePairLine } from "../../src/data/pairs.ts";
import { accuracySummary } from "../../src/eval/genrm-accuracy.ts";
import { verdictFrom } from "../helpers/judges.ts";

test("accuracy is reported per kind, from the pairs' own kind field", () => {
  const pair = (id: string, label: "a" | "b" | undefined, kind?: string): Pair => ({
    id,
    prompt: "p",
    responseA: "x",
    responseB: "y",
    ...(label ? { label } : {}),
    ...(kind ? { kind } : {}),
  });
  const pairs = [
    pair("1", "a", "taste"),
    pair("2", "b", "taste"),
    pair("3", "a", "offTopic"),
    pair("4", "a"),
    pair("5", undefined, "taste"),
  ];
  const verdicts = [
    ["a", "a"],
    ["b", "b"],
    ["b", "b"],
    ["a", "a"],
    ["a", "a"],
  ].map((w) => verdictFrom(w as ("a" | "b")[]));
  const s = accuracySummary(pairs, verdicts);
  assert.deepEqual(
    s.byKind.map((k) => [k.kind, k.accuracy.value, k.accuracy.n]),
    [
      ["offTopic", 0, 1],
      ["taste", 1, 2],
    ],
  );
  assert.equal(s.accuracy.value, 3 / 4);
});

test("a pairs file's kind field is read; other lines have none", () => {
  const r = parsePairLine(
    '{"id":"1","prompt":"p","response_a":"a","response_b":"b","label":"a","kind":"taste"}',
    1,
  );
  assert.ok(r.ok && r.pair.kind === "taste");
  const plain = parsePairLine('{"id":"1","prompt":"p","response_a":"a","response_b":"b"}', 1);
  assert.ok(plain.ok && plain.pair.kind === undefined);
});
