// The README's main job, shortened: the same command and the same config file
// (examples/tiny/config.yaml) with --steps 2, from an empty cache, end to end through the gold's
// evaluation. And every shipped experiment config parses: no example file is left untried.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { parseYamlConfig } from "../../src/data/config-file.ts";
import { ExperimentConfigSchema } from "../../src/recipes/experiment/config.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz } from "../helpers/cli.ts";

test("npx wz train examples/tiny/config.yaml, shortened to 2 steps, runs to the gold's figures", async () => {
  const readme = readFileSync("README.md", "utf8");
  const command = readme.match(/npx wz train (\S+)\s+# the main job/);
  assert.ok(command, "the README names the main job's command");
  const config = resolve(command[1]);
  // From an empty folder: the config's cache and output are relative, so nothing is reused.
  const cwd = mkdtempSync(join(tmpdir(), "wz-main-job-"));
  const r = await runWz(["train", config, "--steps", "2"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /step 2\/2/);
  const out = r.stdout + r.stderr;
  assert.match(out, /evaluation judge gold:wz-tiny-gold-v2 \(never trained against\)/);
  assert.match(out, /all constraints met: [\d.]+% -> [\d.]+%/);
  assert.ok(existsSync(join(cwd, ".wz-cache", "tiny-base")), "the base was built into the config's cache");
  const store = new RunStore(join(cwd, "runs", "tiny", "run.sqlite"), { readonly: true });
  assert.equal(store.getMeta("status"), "completed");
  assert.equal(store.lastCompletedStep(), 1);
  store.close();
});

test("every shipped experiment config parses", () => {
  for (const f of ["examples/experiment/config.yaml", "examples/experiment/constructed-pairs.yaml"]) {
    const cfg = parseYamlConfig(ExperimentConfigSchema, readFileSync(f, "utf8"), f);
    assert.ok(cfg.arms.length >= 4, `${f}: ${cfg.arms.length} arms`);
    assert.ok(cfg.seeds.length >= 1);
  }
});
