// tinker-cookbook's own training loops, unchanged, against `wz tinker` (integrations/tests/
// cookbook_loops.py): the supervised loop on a conversations file, and the RL loop with
// integrations/tinker/wz_cookbook_env.py, whose group rewards are BRPO verdicts from `wz serve`.
// The rewards the cookbook trained on are checked here against our BRPO estimator on the same
// groups (the code `wz train` runs), and its logged mean reward against them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import { estimateGroup } from "../../src/rl/estimators/index.ts";
import { makePrompts } from "../../src/world/constrained-writing.ts";
import { startWz, type WzServer } from "../helpers/cli.ts";
import { projectPython } from "../helpers/python.ts";
import { tinyModelFolder } from "../helpers/tinker.ts";

const python = projectPython(["tinker", "tinker_cookbook", "chz"]);
const dir = mkdtempSync(join(tmpdir(), "wz-cookbook-"));
const folder = join(dir, "tiny");
let tinker: WzServer;
let serve: WzServer;

before(async () => {
  // Pretrained briefly, so that its answers differ and the rule judge has something to prefer.
  tinyModelFolder(folder, 400);
  const judge = join(dir, "judge.yaml");
  writeFileSync(judge, "judge:\n  kind: rules\n");
  // The served model is named by its folder: the cookbook loads the tokenizer from model_name.
  [tinker, serve] = await Promise.all([
    startWz(["tinker", "--model", `${folder}=${folder}`, "--state", join(dir, "state")]),
    startWz(["serve", "--judge-config", judge]),
  ]);
});

after(() => {
  tinker?.stop();
  serve?.stop();
});

function cookbook(args: string[]) {
  const r = spawnSync(python.bin, ["integrations/tests/cookbook_loops.py", ...args], {
    encoding: "utf8",
    env: { ...process.env, TINKER_TELEMETRY: "0" },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-5000)}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

test("the cookbook's supervised loop trains through wz tinker: held-out NLL falls, checkpoints saved", {
  skip: python.skip,
}, () => {
  const out = cookbook([
    "sl",
    tinker.url,
    folder,
    "test/fixtures/tinker-conversations.jsonl",
    join(dir, "sl"),
  ]);
  assert.equal(out.steps, 21); // 7 batches of 8 a epoch (56 of 64 conversations; 8 held out), 3 epochs
  assert.ok(out.test_nll.length >= 5);
  assert.ok(out.test_nll.at(-1) < 0.9 * out.test_nll[0], `held-out NLL ${out.test_nll}`);
  assert.equal(out.checkpoints.length, 5); // after steps 5, 10, 15 and 20, and the final one
  for (const p of out.checkpoints) assert.match(p, /^tinker:\/\/session-\d+-\w+:train:0\/weights\/\w+$/);
});

test("the cookbook's RL loop with BRPO rewards from wz serve: its rewards are our estimator's", {
  skip: python.skip,
}, async (t) => {
  const prompts = makePrompts(12, 11, "train").map((p) => p.prompt);
  const promptsFile = join(dir, "prompts.jsonl");
  writeFileSync(promptsFile, prompts.map((p) => `${JSON.stringify({ prompt: p })}\n`).join(""));
  const log = join(dir, "rl");
  cookbook(["rl", tinker.url, folder, promptsFile, log, serve.url]);
  const groups = readFileSync(join(log, "brpo_rewards.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  // 3 steps x 4 groups of 6 (40 tokens a sample: lengths vary, so the rule judge separates some)
  assert.equal(groups.length, 12);
  const judge = new RuleJudge();
  let nonzero = 0;
  for (const g of groups) {
    const ours = await estimateGroup({ prompt: g.prompt, responses: g.responses }, judge, {
      estimator: "brpo",
      seed: g.seed,
      step: g.step,
      groupId: g.group_id,
      skewThreshold: 0.6,
      tie: -1,
      inconsistent: -1,
      references: 1,
    });
    assert.deepEqual(ours.referenceIndices, [g.reference_index]);
    assert.deepEqual(
      g.rewards,
      ours.advantages.map((a, i) => (ours.masked[i] ? 0 : a)),
    );
    nonzero += g.rewards.filter((r: number) => r !== 0).length;
  }
  t.diagnostic(`${nonzero} of ${groups.length * 6} rewards not 0`);
  assert.ok(nonzero > 0, "every reward was 0: the check above proves nothing");
  // The cookbook logged the mean of the rewards it trained on, step by step.
  const metrics = readFileSync(join(log, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  for (const step of [0, 1, 2]) {
    const rewards = groups.filter((g) => g.step === step).flatMap((g) => g.rewards as number[]);
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const row = metrics.find((m) => m.step === step);
    assert.ok(
      Math.abs(row["env/all/reward/total"] - mean) < 1e-9,
      `step ${step}: ${row["env/all/reward/total"]} vs ${mean}`,
    );
  }
});
