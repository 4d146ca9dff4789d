// wz genrm end to end on a miniature recipe: pairs, traces with rejection sampling, SFT, RLVR,
// held-out evaluation; then the trained judge loads in `wz judge --gguf` with the template it
// learned (read from its GGUF) and judges pairs it never saw.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import { importGguf } from "../../src/model/gguf-import.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { parseGenRMConfig } from "../../src/recipes/genrm/config.ts";
import { saveTrainedJudge } from "../../src/recipes/genrm/judge-files.ts";
import { teacherScore, teacherView } from "../../src/world/tiny-teacher.ts";
import { TOPICS, WORDS } from "../../src/world/tiny-world.ts";
import { runWz } from "../helpers/cli.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

test("wz genrm pairs and traces: gold-labelled pairs, traces kept only when right in both orders", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-genrm-"));
  const pairs = join(dir, "pairs.jsonl");
  const r = await runWz(["genrm", "pairs", "--tiny", "30", "--output", pairs]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(pairs, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 30);
  assert.ok(rows.every((x) => x.label === "a" || x.label === "b"));
  // The teacher (a general critic, not the gold) prefers one response in both orders or neither.
  const teacherLabel = (x: { prompt: string; response_a: string; response_b: string }) => {
    const a = teacherScore(teacherView(x.prompt, x.response_a));
    const b = teacherScore(teacherView(x.prompt, x.response_b));
    return a > b ? "a" : a < b ? "b" : null;
  };
  // One pair the teacher agrees with gets its label flipped: it must be rejected.
  const flipped = rows.findIndex((x) => teacherLabel(x) === x.label);
  assert.ok(flipped >= 0);
  rows[flipped].label = rows[flipped].label === "a" ? "b" : "a";
  const agreeing = rows.filter((x) => teacherLabel(x) === x.label).length;
  assert.ok(agreeing >= 20 && agreeing < 30, `the teacher agrees with ${agreeing} of 30 labels`);
  writeFileSync(pairs, rows.map((x) => JSON.stringify(x)).join("\n"));
  const sft = join(dir, "sft.jsonl");
  const t = await runWz(["genrm", "traces", "--input", pairs, "--output", sft, "--teacher", "tiny"]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`${agreeing} of 30 pairs kept .* ${30 - agreeing} rejected`));
  // minimal pairs: every pair is one sentence against one sentence; a share above 1 is refused
  const minimal = join(dir, "minimal.jsonl");
  const m = await runWz(["genrm", "pairs", "--tiny", "20", "--minimal-share", "1", "--output", minimal]);
  assert.equal(m.code, 0, m.stderr);
  for (const line of readFileSync(minimal, "utf8").trim().split("\n")) {
    const p = JSON.parse(line);
    assert.match(`${p.response_a}|${p.response_b}`, /^[^.]+\.\|[^.]+\.$/);
  }
  const bad = await runWz(["genrm", "pairs", "--tiny", "5", "--minimal-share", "1.5", "--output", minimal]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--minimal-share/);
  const traces = readFileSync(sft, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(traces.length, 2 * agreeing);
  assert.equal(traces[0].messages[1].role, "assistant");
  assert.match(traces[0].messages[1].content, /\\boxed\{[\d.]+, [\d.]+\}$/);
});

test("wz genrm train: a miniature recipe (LoRA RLVR) runs end to end and the judge works in wz judge --gguf", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-genrm-"));
  writeFileSync(
    join(dir, "cfg.yaml"),
    `seed: 2
model:
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 15, batch_size: 8}
data: {pairs: tiny, train_count: 40, rl_count: 10, eval_count: 6, splits: [pretrain, train], minimal_share: 0.5}
sft: {steps: 10, batch_size: 4}
rl:
  rollout: {group_size: 4, prompts_per_step: 4, max_tokens: 64}
  train: {steps: 2}
  lora: {rank: 2, alpha: 4}
eval: {max_tokens: 64}
`,
  );
  const out = join(dir, "run");
  const r = await runWz(["genrm", "train", join(dir, "cfg.yaml"), "--output", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /accuracy \(right under both orders\)/);
  const help = await runWz(["genrm", "train", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /wz genrm train CONFIG\.yaml/);
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  assert.equal(summary.rewardVersion, "wz-genrm-reward-v1");
  assert.equal(summary.heldOut, 6);
  // the traces come from both training splits, never from a held-out combination ((t + w) mod 4 = 1)
  const topics = Object.keys(TOPICS);
  const combos = readFileSync(join(out, "sft.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const m = JSON.parse(l).messages[0].content.match(/about the (\w+)\. Include the word (\w+)\./);
      return (topics.indexOf(m[1]) + WORDS.indexOf(m[2])) % 4;
    });
  assert.ok(!combos.includes(1), "a held-out combination in the traces");
  assert.ok(combos.includes(0) && (combos.includes(2) || combos.includes(3)), String(combos));
  const metrics = readFileSync(join(out, "rl", "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(metrics.length, 2);
  assert.ok("genrm_accuracy" in metrics[0] && "genrm_first_position_rate" in metrics[0]);
  assert.ok(existsSync(join(out, "final", "model.safetensors")));
  // LoRA RLVR: the adapters in the PEFT layout, merged into the final judge
  assert.ok(existsSync(join(out, "final-adapter", "adapter_model.safetensors")));
  // judge.gguf is the judge in final/, bit for bit.
  const final = loadModelFolder(join(out, "final"));
  const gguf = importGguf(join(out, "judge.gguf")).model;
  for (const spec of final.model.params.specs)
    assert.deepEqual(
      Array.from(gguf.params.get(spec.name)),
      Array.from(final.model.params.get(spec.name)),
      spec.name,
    );
  // The trained judge, unchanged, in wz judge: its template comes from the GGUF.
  const verdicts = join(dir, "verdicts.jsonl");
  const j = await runWz([
    "judge",
    "--gguf",
    join(out, "judge.gguf"),
    "--input",
    join(out, "held-out-pairs.jsonl"),
    "--output",
    verdicts,
    "--no-cache",
    "--max-tokens",
    "64",
  ]);
  assert.equal(j.code, 0, j.stderr);
  const lines = readFileSync(verdicts, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 6);
  for (const v of lines) {
    assert.equal(v.template_version, "wz-pairwise-compact-v1");
    assert.notEqual(v.outcome, "failed", JSON.stringify(v.conditions));
  }
});

test("the tiny GenRM preset parses; a training split that is the held-out one is refused by name", () => {
  const cfg = parseGenRMConfig("examples/tiny-genrm/config.yaml");
  assert.deepEqual(cfg.data.splits, ["pretrain", "train"]);
  assert.equal(cfg.data.minimal_share, 0.33);
  const dir = mkdtempSync(join(tmpdir(), "wz-genrm-cfg-"));
  writeFileSync(join(dir, "bad.yaml"), "data: {splits: [pretrain, eval]}\n");
  assert.throws(() => parseGenRMConfig(join(dir, "bad.yaml")), /data\.splits/);
});

test("the trained judge's GGUF holds the merged adapters, the same weights as final/", () => {
  // A LoRA policy whose adapters moved (B is not zero): judge.gguf once held the base alone, so
  // "after RLVR" measured the SFT judge a second time.
  const dir = mkdtempSync(join(tmpdir(), "wz-genrm-save-"));
  const bpe = trainBpe(["the lamp by the river", "a quiet harbor at noon"], 280);
  const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const model = randomModel(tinyConfig({ vocabSize: tokenizer.vocabSize }), 3, "f32");
  const base = model.params.get("model.layers.0.self_attn.q_proj.weight").slice();
  const lora = model.attachLora({ rank: 2, alpha: 4, targets: ["q_proj", "v_proj"] }, 1);
  for (const s of lora.params.specs) {
    const p = lora.params.get(s.name);
    for (let i = 0; i < p.length; i++) p[i] = 0.05 * Math.sin(i + s.name.length);
  }
  const { finalDir, judgeGguf } = saveTrainedJudge(dir, { model, tokenizer }, "compact");
  const final = loadModelFolder(finalDir).model;
  const gguf = importGguf(judgeGguf).model;
  for (const spec of final.params.specs)
    assert.deepEqual(
      Array.from(gguf.params.get(spec.name)),
      Array.from(final.params.get(spec.name)),
      spec.name,
    );
  // ...and that is the merged model, not the base.
  assert.notDeepEqual(
    Array.from(gguf.params.get("model.layers.0.self_attn.q_proj.weight")),
    Array.from(base),
  );
  assert.ok(existsSync(join(dir, "final-adapter", "adapter_model.safetensors")));
});
