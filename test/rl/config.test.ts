import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";

test("the shipped example configs are valid", () => {
  for (const f of [
    "examples/tiny/config.yaml",
    "examples/tiny-rules/config.yaml",
    "examples/genrm/config.yaml",
  ]) {
    const cfg = parseTrainConfig(readFileSync(f, "utf8"), f);
    assert.equal(cfg.estimator.name, "brpo");
  }
});

test("defaults fill every option; errors name the key", () => {
  const cfg = parseTrainConfig("");
  assert.equal(cfg.rollout.group_size, 16);
  assert.equal(cfg.estimator.skew_threshold, 0.6);
  assert.equal(cfg.estimator.tie, -1);
  assert.equal(cfg.train.clip_low, 0.2);
  assert.equal(cfg.train.clip_high, 0.28);
  assert.equal(cfg.train.kl_coef, 0);
  assert.throws(
    () => parseTrainConfig("rollout:\n  group_size: 1\n", "c.yaml"),
    /c\.yaml: rollout\.group_size/,
  );
  assert.throws(() => parseTrainConfig("estimator:\n  name: ppo\n", "c.yaml"), /c\.yaml: estimator\.name/);
  assert.throws(
    () => parseTrainConfig("judge:\n  kind: genrm\n", "c.yaml"),
    /needs judge\.base_url and judge\.model, or judge\.gguf/,
  );
  assert.throws(() => parseTrainConfig("seed: [1\n", "c.yaml"), /c\.yaml: not valid YAML/);
});
