// `wz experiment` with trained_genrm, on a miniature: per seed, the GenRM is trained as the main
// job trains it (into the shared cache, then copied into the experiment), and the scalar RMs learn
// from that GenRM's own rated pairs (the control's the same pairs, re-rated without leanings), on
// the GenRM's base. The arms judge with those files, and the table gains the taste column.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { runWz } from "../helpers/cli.ts";

const TINY = (width: number) =>
  `{corpus_size: 300, vocab_size: 330, hidden_size: ${width}, layers: 1, heads: 2, kv_heads: 1, head_dim: ${width / 2}, intermediate_size: 64, pretrain_steps: 15, batch_size: 8}`;

function config(dir: string) {
  return `output: ${join(dir, "exp")}
seeds: [1]
model: {init: tiny, cache: ${join(dir, "cache")}, tiny: ${TINY(32)}}
labellers:
  biased: {noise: 0.05, tie_margin: 1, explain_bias: 0.7, length_bias: 0.7}
  control: {noise: 0.05, tie_margin: 1, explain_bias: 0, length_bias: 0}
prompts: {train_count: 8, eval_count: 3}
trained_genrm:
  cache: ${join(dir, "genrm-cache")}
  model: {init: tiny, cache: ${join(dir, "cache")}, tiny: ${TINY(48)}}
  pairs: {constructed: 60, on_policy: 20, rl_count: 16, held_out_per_kind: 2, held_out_on_policy: 6, composed_share: 0.5}
  critique: terse
  teacher_taste: revised
  rl_pairs: teacher_agrees
  sft: {steps: 10, batch_size: 4}
  rl: {rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 24}, train: {steps: 1}}
  eval: {max_tokens: 40, sft_only: false}
reward_model: {steps: 10, batch_size: 4}
genrm_judge: {max_tokens: 80, runtime: engine}
estimator: {name: brpo, tie: 0}
rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 12}
train: {steps: 2, kl_coef: 0.1}
eval: {samples_per_prompt: 1, monitor_every: 1}
arms:
  - {name: rm-grpo, judge: rm, labels: biased, estimator: {name: grpo}}
  - {name: genrm-brpo, judge: genrm, labels: biased}
  - {name: rm-control, judge: rm, labels: control, estimator: {name: grpo}}
`;
}

const jsonl = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

test("wz experiment with trained_genrm: the main job's GenRM per seed, RMs on its pairs and base", {
  timeout: 600_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-experiment-genrm-"));
  const cfg = join(dir, "exp.yaml");
  writeFileSync(cfg, config(dir));
  const r = await runWz(["experiment", cfg]);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  const out = join(dir, "exp");

  // the GenRM trained into the shared cache, as wz train trains it, and copied whole
  const cached = readdirSync(join(dir, "genrm-cache"));
  assert.equal(cached.length, 1, cached.join());
  const genrm = join(out, "judges", "genrm-seed-1");
  for (const f of ["judge.gguf", "pairs.jsonl", "held-out-source.jsonl", "summary.json"])
    assert.deepEqual(readFileSync(join(genrm, f)), readFileSync(join(dir, "genrm-cache", cached[0], f)), f);
  assert.match(r.stderr, /RLVR pairs: \d+ of 16 whose label the teacher explains/);

  // the biased RM learned from the GenRM's own pairs file; the control's from the same pairs re-rated
  const rmBiased = parseYaml(readFileSync(join(out, "configs", "judges", "rm-biased-seed-1.yaml"), "utf8"));
  assert.equal(rmBiased.data.pairs, join(genrm, "pairs.jsonl"));
  assert.equal(rmBiased.data.eval_pairs, join(genrm, "held-out-source.jsonl"));
  assert.equal(rmBiased.model.tiny.hidden_size, 48, "the RM starts from the GenRM's base");
  const rmControl = parseYaml(readFileSync(join(out, "configs", "judges", "rm-control-seed-1.yaml"), "utf8"));
  const biasedPairs = jsonl(join(genrm, "pairs.jsonl"));
  const controlPairs = jsonl(rmControl.data.pairs);
  assert.deepEqual(
    controlPairs.map((p) => [p.id, p.prompt, p.response_a, p.response_b]),
    biasedPairs.map((p) => [p.id, p.prompt, p.response_a, p.response_b]),
  );
  // without leanings the labels change only where a rater's leaning or coin decided
  const changed = controlPairs.filter((p, i) => p.label !== biasedPairs[i].label).length;
  assert.ok(changed > 0 && changed < controlPairs.length / 2, `${changed} of ${controlPairs.length}`);
  for (const name of ["rm-biased-seed-1", "rm-control-seed-1"])
    assert.ok(existsSync(join(out, "judges", name, "summary.json")), name);

  // each arm judged with its seed's files
  const armJudge = (arm: string) =>
    JSON.parse(readFileSync(join(out, "arms", arm, "seed-1", "config.resolved.json"), "utf8")).judge;
  assert.equal(armJudge("genrm-brpo").gguf, join(genrm, "judge.gguf"));
  assert.equal(armJudge("rm-grpo").reward_model, join(out, "judges", "rm-biased-seed-1", "final"));
  assert.equal(armJudge("rm-control").reward_model, join(out, "judges", "rm-control-seed-1", "final"));

  // the table: the taste column, and the GenRM held out by kind on independently built pairs
  assert.match(r.stdout, /taste win, tied/);
  assert.match(r.stdout, /genrm-seed-1: GenRM, accuracy .*independent pairs [\d.]+% of 14 \(/);
  assert.match(r.stdout, /rm-control-seed-1: scalar RM, accuracy/);
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
  for (const arm of results.arms) assert.ok("taste_tied_win_rate" in arm.figures, arm.name);

  // finished: a second invocation trains nothing again
  const again = await runWz(["experiment", cfg]);
  assert.equal(again.code, 0, again.stderr.slice(-2000));
  assert.doesNotMatch(again.stderr, /^== /m);
});
