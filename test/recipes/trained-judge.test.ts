// The main job's GenRM block: what a config may say, and the cache key that decides whether a
// trained judge is reused (the training itself runs end to end in test/cli/readme-main-job.test.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import { trainedJudgeDir } from "../../src/recipes/writing-rl/trained-judge.ts";
import { TrainedGenRMSchema } from "../../src/recipes/writing-rl/trained-judge-config.ts";

test("a genrm block makes the trained GenRM the judge, and nothing else may claim that place", () => {
  const cfg = parseTrainConfig(readFileSync("examples/tiny/config.yaml", "utf8"), "main");
  assert.equal(cfg.judge.kind, "genrm");
  assert.ok(cfg.genrm, "the main job trains its GenRM");
  assert.equal(cfg.judge.gguf, undefined);
  assert.throws(
    () => parseTrainConfig("judge: {kind: rules}\ngenrm: {}\n", "c.yaml"),
    /c\.yaml: genrm: .*judge\.kind to genrm/,
  );
  assert.throws(
    () => parseTrainConfig("judge: {kind: genrm, gguf: j.gguf}\ngenrm: {}\n", "c.yaml"),
    /without judge\.gguf or judge\.base_url/,
  );
  assert.throws(
    () => parseTrainConfig("judge: {kind: genrm}\ngenrm: {pairs: {constructed: -1}}\n", "c.yaml"),
    /c\.yaml: genrm\.pairs\.constructed/,
  );
  assert.throws(
    () => parseTrainConfig("judge: {kind: genrm}\ngenrm: {teacher: gold}\n", "c.yaml"),
    /genrm\.teacher/,
  );
});

test("the trained judge's cache folder changes with every input and only with them", () => {
  const g = TrainedGenRMSchema.parse({});
  const side = {
    seed: 1,
    baseDir: ".wz-cache/tiny-base/562a199eabec",
    baseKey: "tiny:562a199eabec",
    temperature: 1.2,
    maxTokens: 40,
  };
  const dir = trainedJudgeDir(g, side);
  assert.match(dir, /^\.wz-cache\/genrm\/[0-9a-f]{12}$/);
  assert.equal(trainedJudgeDir(TrainedGenRMSchema.parse({}), { ...side }), dir, "same inputs, same judge");
  const moved = [
    trainedJudgeDir(TrainedGenRMSchema.parse({ sft: { steps: 601 } }), side),
    trainedJudgeDir(TrainedGenRMSchema.parse({ raters: { noise: 0.1 } }), side),
    trainedJudgeDir(TrainedGenRMSchema.parse({ critique: "terse" }), side),
    trainedJudgeDir(g, { ...side, seed: 2 }),
    trainedJudgeDir(g, { ...side, baseKey: "tiny:000000000000" }),
    trainedJudgeDir(g, { ...side, temperature: 1 }),
  ];
  assert.equal(new Set([dir, ...moved]).size, moved.length + 1);
  // where the base or the cache lives is not an input of the judge (another checkout, another cwd)
  assert.equal(trainedJudgeDir(g, { ...side, baseDir: "/elsewhere/tiny-base/562a199eabec" }), dir);
  assert.equal(
    trainedJudgeDir(TrainedGenRMSchema.parse({ cache: "/elsewhere" }), side)
      .split("/")
      .pop(),
    dir.split("/").pop(),
  );
});
