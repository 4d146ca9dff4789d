// `wz experiment` end to end on a miniature: rated pairs, a scalar RM and a GenRM trained on them,
// three arms over two seeds, the gold's table, results.json and the HTML report (opened in
// headless chromium). Then the resume rules: a finished experiment runs no stage again, a run cut
// off after training is resumed alone, and a folder never mixes two configs.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { goldChecks, goldScore, parseGoldRequest } from "../../src/world/tiny-gold.ts";
import { CHROMIUM, withReportPage } from "../helpers/browser.ts";
import { runWz } from "../helpers/cli.ts";

function config(dir: string, seeds: string) {
  return `output: ${join(dir, "exp")}
seeds: ${seeds}
model:
  init: tiny
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 15, batch_size: 8}
labellers:
  biased: {noise: 0.05, tie_margin: 1, explain_bias: 0.7, length_bias: 0.7}
pairs: {train_count: 60, eval_count: 8, on_policy: 20, eval_on_policy: 6}
prompts: {train_count: 8, eval_count: 3}
reward_model: {steps: 10, batch_size: 4}
genrm:
  rl_count: 16
  sft: {steps: 10, batch_size: 4}
  rl: {rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 24}, train: {steps: 1}}
  eval: {max_tokens: 40}
genrm_judge: {max_tokens: 40, concurrency: 4, cache: ${join(dir, "judge.sqlite")}}
estimator: {name: brpo, tie: 0}
rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 12}
train: {steps: 2}
eval: {samples_per_prompt: 1, monitor_every: 1}
arms:
  - {name: rm-grpo, judge: rm, labels: biased, estimator: {name: grpo}}
  - {name: genrm-brpo, judge: genrm, labels: biased}
  - {name: rules-brpo, judge: rules}
`;
}

const withoutTime = (path: string) => {
  const r = JSON.parse(readFileSync(path, "utf8"));
  delete r.minutes;
  return r;
};

test("wz experiment: judges, arms, the gold's table and report, and resume", {
  timeout: 600_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-experiment-"));
  const cfg = join(dir, "exp.yaml");
  writeFileSync(cfg, config(dir, "[1, 2]"));
  const first = await runWz(["experiment", cfg]);
  assert.equal(first.code, 0, first.stderr.slice(-3000));
  const out = join(dir, "exp");

  // the table: the initial policy and each arm, with intervals over the two seeds
  const lines = first.stdout.split("\n");
  for (const arm of ["initial policy", "rm-grpo", "genrm-brpo", "rules-brpo"])
    assert.ok(
      lines.some((l) => l.startsWith(arm)),
      `${arm} row missing:\n${first.stdout}`,
    );
  assert.match(first.stdout, /rm-grpo: grpo with the scalar RM \(biased labels\) \(2 of 2 seeds finished\)/);
  assert.match(first.stdout, /genrm-biased: GenRM, accuracy/);
  assert.match(first.stdout, /rm-biased: scalar RM, accuracy/);

  const results = withoutTime(join(out, "results.json"));
  assert.equal(results.arms.length, 3);
  for (const arm of results.arms) {
    assert.deepEqual(arm.seeds, [1, 2]);
    assert.equal(arm.perSeed.length, 2);
    // every arm is graded by the gold, never by its own judge
    const win = arm.figures.gold_win_rate;
    assert.ok(win && win.n === 2 && win.mean >= 0 && win.mean <= 1, JSON.stringify(arm.figures));
    assert.ok(win.lo >= 0 && win.hi <= 1);
  }
  // 60 constructed pairs and up to 20 of the base model's own sample pairs (identical twins skipped)
  const sampledPairs = results.labels.biased.pairs - 60;
  assert.ok(sampledPairs > 10 && sampledPairs <= 20, `${sampledPairs} sampled pairs`);
  const samples = readFileSync(join(out, "pairs", "base-samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(samples.length, 26);
  assert.equal(samples.filter((x: { split: string }) => x.split === "eval").length, 6);
  for (const x of samples) assert.equal(x.samples.length, 2);
  // held-out pairs: 8 constructed plus the sampled eval pairs the gold separates, labelled by it
  const held = readFileSync(join(out, "pairs", "held-out.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(held.length >= 8 && held.length <= 14);
  for (const h of held.filter((x: { id: string }) => x.id.startsWith("base-"))) {
    const req = parseGoldRequest(h.prompt)!;
    const [a, b] = [goldScore(goldChecks(req, h.response_a)), goldScore(goldChecks(req, h.response_b))];
    assert.equal(h.label, a > b ? "a" : "b", h.id);
  }
  // the arms trained on the same prompt files and were graded on the same held-out file
  for (const [arm, seed] of [
    ["rm-grpo", 1],
    ["rules-brpo", 2],
  ] as const) {
    const resolved = JSON.parse(
      readFileSync(join(out, "arms", arm, `seed-${seed}`, "config.resolved.json"), "utf8"),
    );
    assert.equal(resolved.data.eval_prompts, join(resolve(out), "prompts", "eval.jsonl"));
    assert.equal(resolved.eval.judge, "gold");
    assert.equal(resolved.seed, seed);
  }

  // finished: nothing runs again, the figures are the same
  const again = await runWz(["experiment", cfg]);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /^== /m);
  assert.deepEqual(withoutTime(join(out, "results.json")), results);

  // a run cut off after its last step (its summary never written) is resumed, alone
  rmSync(join(out, "arms", "rules-brpo", "seed-2", "summary.txt"));
  const resumed = await runWz(["experiment", cfg]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stderr.match(/^== /gm)?.length, 1, resumed.stderr);
  assert.match(resumed.stderr, /== arm 6\/6: rules-brpo .* seed 2 \(resumed\)/);
  assert.deepEqual(withoutTime(join(out, "results.json")), results);

  // one folder, one config
  writeFileSync(cfg, config(dir, "[1, 2, 3]"));
  const mixed = await runWz(["experiment", cfg]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /holds an experiment with another config/);

  // a GenRM judge cut short by too small a token limit is refused before any arm runs
  const copy = join(dir, "exp-copy");
  cpSync(out, copy, { recursive: true });
  rmSync(join(copy, "experiment.json"));
  writeFileSync(
    cfg,
    config(dir, "[1, 2]")
      .replace("max_tokens: 40, concurrency: 4", "max_tokens: 8, concurrency: 4")
      .replace(`output: ${join(dir, "exp")}`, `output: ${copy}`),
  );
  const short = await runWz(["experiment", cfg]);
  assert.equal(short.code, 2, short.stderr);
  assert.match(
    short.stderr,
    /genrm_judge.max_tokens 8 is below what the GenRM trained on "biased" labels writes/,
  );
  assert.doesNotMatch(short.stderr, /^== arm/m);

  // the report, in a real browser
  const report = join(out, "report.html");
  const html = readFileSync(report, "utf8");
  assert.ok(!/(src|href)="https?:/.test(html), "the report must not load anything from the network");
  if (!existsSync(CHROMIUM)) {
    // Outside CI the browser half is optional; under CI .ci/run installs chromium.
    assert.ok(!process.env.CI, `${CHROMIUM} is missing under CI`);
    return;
  }
  await withReportPage(report, async (page, errors) => {
    // four shared charts and one of each arm's own reward
    assert.equal(await page.locator("svg.chart").count(), 7);
    const firstTable = page.locator("table").first();
    assert.equal(await firstTable.locator("tr").count(), 5); // heading, initial, three arms
    assert.match(((await firstTable.locator("tr").nth(2).textContent()) ?? "").trim(), /^rm-grpo/);
    // the curves are drawn: the shared gold chart has a line per arm
    assert.equal(await page.locator("svg.chart").first().locator("path").count(), 3);
    await page.screenshot({ path: join(dir, "experiment.png"), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
