// Inputs that used to pass in silence now fail (or warn) with a message naming the key, path or id.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import { createRewardService } from "../../src/serve/app.ts";
import { runWz } from "../helpers/cli.ts";

test("train.clip_low of 1 or more is refused, naming the key", () => {
  assert.throws(
    () => parseTrainConfig("train: {clip_low: 5}\n", "cfg.yaml"),
    /cfg\.yaml: train\.clip_low: must be below 1/,
  );
  assert.equal(parseTrainConfig("train: {clip_low: 0.2}\n").train.clip_low, 0.2);
});

test("data.eval_prompts naming a missing file is an error, with tiny prompts too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-strict-"));
  writeFileSync(join(dir, "cfg.yaml"), `data: {prompts: tiny, eval_prompts: ${join(dir, "nope.jsonl")}}\n`);
  const r = await runWz(["train", join(dir, "cfg.yaml"), "--output", join(dir, "run")]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /data\.eval_prompts: prompt file .*nope\.jsonl does not exist/);
});

test("wz judge on an empty file exits 2; duplicate ids are warned about", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-strict-"));
  writeFileSync(join(dir, "empty.jsonl"), "\n");
  const r = await runWz(["judge", "--judge", "rules", "--input", join(dir, "empty.jsonl"), "--no-cache"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /no pairs to judge \(the file is empty\)/);
  const row = (id: string) =>
    JSON.stringify({ id, prompt: "Write a line.", response_a: "A line.", response_b: "B." });
  writeFileSync(join(dir, "dup.jsonl"), [row("x"), row("y"), row("x")].join("\n"));
  const d = await runWz(["judge", "--judge", "rules", "--input", join(dir, "dup.jsonl"), "--no-cache"]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stderr, /warning: 1 id\(s\) occur more than once \(x\)/);
  assert.equal(d.stdout.trim().split("\n").length, 3);
});

test("/v1/compare refuses empty strings, naming the field", async () => {
  const service = createRewardService({ judge: new RuleJudge(), groupSize: 2 });
  const res = await service.app.request("/v1/compare", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Write.", response_a: "", response_b: "b" }),
  });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /response_a: response_a must not be empty/);
  await service.close();
});
