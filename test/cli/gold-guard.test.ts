// The tiny world's gold grades runs and is never a training signal: every place that builds a
// training judge refuses it by name, through the CLI, before any work. It stays the evaluator.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import { runWz } from "../helpers/cli.ts";

const REFUSAL = /gold is evaluation-only and never a training judge/;
const dir = mkdtempSync(join(tmpdir(), "wz-gold-guard-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test("wz train refuses a gold training judge, by kind or by its full name", async () => {
  for (const kind of ["gold", '"gold:wz-tiny-gold-v2"']) {
    const r = await runWz([
      "train",
      file("train.yaml", `judge: {kind: ${kind}}\n`),
      "--output",
      join(dir, "run"),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, REFUSAL);
    assert.match(r.stderr, /judge\.kind/);
  }
});

test("wz serve, wz judge and wz genrm-eval refuse --judge gold", async () => {
  const pairs = file("pairs.jsonl", '{"id":"1","prompt":"p","response_a":"a","response_b":"b"}\n');
  for (const args of [
    ["serve", "--judge", "gold", "--port", "0"],
    ["judge", "--judge", "gold:wz-tiny-gold-v2", "--input", pairs],
    ["genrm-eval", "--judge", "gold", "--input", pairs, "--output", join(dir, "ge")],
  ]) {
    const r = await runWz(args);
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, REFUSAL, args[0]);
  }
});

test("wz experiment refuses an arm trained against the gold", async () => {
  const cfg = file("exp.yaml", "labellers: {l: {}}\narms:\n  - {name: cheat, judge: gold, labels: l}\n");
  const r = await runWz(["experiment", cfg, "--output", join(dir, "exp")]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /arms\.0\.judge: .*gold is evaluation-only/);
});

test("the gold stays the evaluation judge", () => {
  assert.equal(parseTrainConfig("eval: {judge: gold}").eval.judge, "gold");
});
