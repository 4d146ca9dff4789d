// The README's main job, shortened: the same command and config file (examples/tiny/config.yaml,
// its GenRM stage shrunk) with --steps 2, from an empty cache, end to end: the base, the GenRM
// (rated pairs, traces, SFT, RLVR), BRPO against it, the gold's evaluation; then a second run that
// reuses the cached judge. And every shipped experiment config parses: no example file is left untried.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseYamlConfig } from "../../src/data/config-file.ts";
import { ExperimentConfigSchema } from "../../src/recipes/experiment/config.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz } from "../helpers/cli.ts";

/** The first test's folder, config and judge, for the second. */
let first: { cwd: string; config: string; judge: string } | null = null;

test("npx wz train examples/tiny/config.yaml, shortened to 2 steps, runs to the gold's figures", async () => {
  const readme = readFileSync("README.md", "utf8");
  const command = readme.match(/npx wz train (\S+)\s+# the main job/);
  assert.ok(command, "the README names the main job's command");
  // From an empty folder: the config's cache and output are relative, so nothing is reused. The
  // config is the README's, with its GenRM stage shrunk (fewer pairs and steps; every key the
  // same): the full stage takes 4 minutes alone, past a test's limit beside others (its time is
  // measured in docs/results.md).
  const cwd = mkdtempSync(join(tmpdir(), "wz-main-job-"));
  const doc = parseYaml(readFileSync(resolve(command[1]), "utf8"));
  doc.genrm.pairs = {
    ...doc.genrm.pairs,
    constructed: 300,
    on_policy: 60,
    rl_count: 40,
    held_out_per_kind: 5,
    held_out_on_policy: 20,
  };
  doc.genrm.sft.steps = 150;
  doc.genrm.rl.train.steps = 2;
  const config = join(cwd, "config.yaml");
  writeFileSync(config, stringifyYaml(doc));
  const r = await runWz(["train", config, "--steps", "2"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /step 2\/2/);
  const out = r.stdout + r.stderr;
  assert.match(out, /evaluation judge gold:wz-tiny-gold-v2 \(never trained against\)/);
  assert.match(out, /all constraints met: [\d.]+% -> [\d.]+%/);
  assert.ok(existsSync(join(cwd, ".wz-cache", "tiny-base")), "the base was built into the config's cache");
  // Writing-Zero: the GenRM was trained first, from the raters' pairs, and is the training judge
  assert.match(out, /GenRM: training the judge first/);
  assert.match(out, /GenRM pairs: \d+ rated \(\d+ of the base's own samples/);
  assert.match(out, /traces: \d+ pairs kept/);
  assert.match(out, /RLVR: \d+ steps/);
  assert.match(
    out,
    /GenRM held out \(gold labels, never trained on\): independent pairs [\d.]+% of 35 \(brokenWord [\d.]+%, commentary/,
  );
  assert.match(out, /run \S+: brpo with genrm:engine:gguf:judge\.gguf@\w+ via our engine/);
  assert.match(out, /taste \(details set in their mood\): [\d.]+% -> [\d.]+%/);
  const judges = readdirSync(join(cwd, ".wz-cache", "genrm"));
  assert.equal(judges.length, 1, judges.join());
  assert.ok(existsSync(join(cwd, ".wz-cache", "genrm", judges[0], "judge.gguf")));
  const store = new RunStore(join(cwd, "runs", "tiny", "run.sqlite"), { readonly: true });
  assert.equal(store.getMeta("status"), "completed");
  assert.equal(store.lastCompletedStep(), 1);
  // taste where the constraints tie: a tally over a subset of the 48 x 4 pairs, printed as stored
  const h2h = store.getEval<{ pairTallies: { pairs: number; wins: number; ties: number; losses: number }[] }>(
    "final_vs_initial",
  );
  const tied = h2h!.pairTallies[0];
  assert.ok(tied.pairs > 0 && tied.pairs <= 192, `${tied.pairs} pairs`);
  assert.equal(tied.wins + tied.ties + tied.losses, tied.pairs);
  assert.match(
    out,
    new RegExp(
      `taste where the constraints tie \\(gold\\), final vs initial on ${tied.pairs} of the pairs: win rate`,
    ),
  );
  store.close();
  first = { cwd, config, judge: judges[0] };
});

test("a second run of the main job reuses the judge its inputs trained, and trains none", async (t) => {
  if (!first) return t.skip("the first run failed");
  const again = await runWz(["train", first.config, "--steps", "1", "--output", "runs/again"], {
    cwd: first.cwd,
  });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`GenRM: cached in \\.wz-cache/genrm/${first.judge}`));
  assert.doesNotMatch(again.stderr, /training the judge first/);
});

test("every shipped experiment config parses", () => {
  for (const f of [
    "examples/experiment/config.yaml",
    "examples/experiment/width-64.yaml",
    "examples/experiment/constructed-pairs.yaml",
  ]) {
    const cfg = parseYamlConfig(ExperimentConfigSchema, readFileSync(f, "utf8"), f);
    assert.ok(cfg.arms.length >= 4, `${f}: ${cfg.arms.length} arms`);
    assert.ok(cfg.seeds.length >= 1);
  }
});

test("the contrast's Writing-Zero arm is the main job: its GenRM, raters, base, rollouts and training", () => {
  const main = parseYaml(readFileSync("examples/tiny/config.yaml", "utf8"));
  const exp = parseYaml(readFileSync("examples/experiment/config.yaml", "utf8"));
  const { raters, ...genrm } = main.genrm;
  assert.deepEqual(exp.trained_genrm, genrm);
  assert.deepEqual(exp.labellers.biased, raters);
  assert.equal(exp.arms.find((a: { judge: string }) => a.judge === "genrm").labels, "biased");
  assert.deepEqual(exp.model, main.model);
  assert.deepEqual(exp.rollout, main.rollout);
  assert.deepEqual(exp.train, main.train);
  assert.deepEqual(exp.estimator, main.estimator);
  const { kind, ...judge } = main.judge;
  assert.deepEqual(exp.genrm_judge, judge);
  // one fluency guard for every arm: the KL in the shared train block, no plausibility principle
  assert.ok(exp.train.kl_coef > 0);
  assert.equal(exp.rules_judge.plausibility, undefined);
});
