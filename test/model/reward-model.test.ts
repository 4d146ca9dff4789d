// The scalar reward model: Bradley-Terry gradients by finite differences, parity with transformers'
// Qwen3ForSequenceClassification (rewards, loss, gradients), and the Hugging Face layout both ways.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  loadRewardModel,
  RewardModel,
  SCORE,
  saveRewardModel,
  softplus,
} from "../../src/model/reward-model.ts";
import { encodeSafetensors } from "../../src/model/safetensors.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";
import { projectPython } from "../helpers/python.ts";

const chosen = randomTokens(9, 37, 1);
const rejected = randomTokens(6, 37, 2);

test("Bradley-Terry loss: analytic gradients match finite differences (value head and trunk)", () => {
  const lm = randomModel(tinyConfig({ numLayers: 2 }), 3, "f64", 0.3);
  const rm = RewardModel.fromLanguageModel(lm, 4, 0.5);
  rm.zeroGrad();
  const { loss, margin } = rm.bradleyTerry(chosen, rejected);
  assert.ok(Math.abs(loss - softplus(-margin)) < 1e-12);
  const lossAt = () => softplus(-(rm.reward(chosen) - rm.reward(rejected)));
  const eps = 1e-6;
  const check = (
    get: () => Float64Array | Float32Array,
    grad: ArrayLike<number>,
    idx: number[],
    what: string,
  ) => {
    for (const i of idx) {
      const p = get();
      const keep = p[i];
      p[i] = keep + eps;
      const up = lossAt();
      p[i] = keep - eps;
      const down = lossAt();
      p[i] = keep;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(numeric - grad[i]) / Math.max(1e-8, Math.abs(numeric) + Math.abs(grad[i]));
      assert.ok(err < 1e-6, `${what}[${i}]: numeric ${numeric}, analytic ${grad[i]}`);
    }
  };
  check(() => rm.score as Float64Array, rm.scoreGrad, [0, 3, 7, 15], SCORE);
  for (const name of [
    "model.layers.0.self_attn.q_proj.weight",
    "model.layers.1.mlp.down_proj.weight",
    "model.norm.weight",
    "model.embed_tokens.weight",
  ]) {
    const grad = rm.trunk.grads!.get(name);
    const idx = name.includes("embed") ? [chosen[0] * 16, rejected[2] * 16 + 3] : [0, 5, 11];
    check(() => rm.trunk.params.get(name) as Float64Array, grad, idx, name);
  }
  // The gradient pushes the margin up: one small step lowers the loss.
  const before = lossAt();
  for (let i = 0; i < rm.score.length; i++) rm.score[i] -= 0.1 * rm.scoreGrad[i];
  assert.ok(lossAt() < before);
});

const python = projectPython(["transformers", "torch", "safetensors"]);

test("transformers' Qwen3ForSequenceClassification reads our folder with our rewards, loss and gradients; its save_pretrained reads back", {
  skip: python.skip,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-rm-"));
  const lm = randomModel(tinyConfig({ numLayers: 2, tieWordEmbeddings: false }), 5, "f32", 0.3);
  const rm = RewardModel.fromLanguageModel(lm, 6, 0.5);
  saveRewardModel(join(dir, "rm"), rm, null);
  const back = loadRewardModel(join(dir, "rm"));
  assert.equal(back.reward(chosen), rm.reward(chosen));
  rm.zeroGrad();
  const { loss } = rm.bradleyTerry(chosen, rejected);
  const names = [
    "model.layers.1.self_attn.k_proj.weight",
    "model.layers.0.mlp.up_proj.weight",
    "model.embed_tokens.weight",
  ];
  const tensors = new Map<string, { shape: number[]; data: ArrayLike<number> }>([
    ["chosen", { shape: [chosen.length], data: chosen }],
    ["rejected", { shape: [rejected.length], data: rejected }],
    ["rewards", { shape: [2], data: [rm.reward(chosen), rm.reward(rejected)] }],
    ["loss", { shape: [1], data: [loss] }],
    [`grad.${SCORE}`, { shape: [1, rm.score.length], data: rm.scoreGrad }],
  ]);
  for (const n of names) {
    const spec = rm.trunk.params.specs.find((s) => s.name === n)!;
    tensors.set(`grad.${n}`, { shape: spec.shape, data: rm.trunk.grads!.get(n) });
  }
  writeFileSync(join(dir, "ours.safetensors"), encodeSafetensors(tensors));
  const run = spawnSync(
    python.bin,
    ["integrations/tests/hf_reward.py", join(dir, "rm"), join(dir, "ours.safetensors"), join(dir, "saved")],
    {
      encoding: "utf8",
      env: { ...process.env, HF_HUB_OFFLINE: "1" },
    },
  );
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-3000)}`);
  assert.match(run.stdout, /Qwen3ForSequenceClassification: rewards/);
  const saved = loadRewardModel(join(dir, "saved"));
  assert.equal(saved.reward(chosen), rm.reward(chosen));
  assert.equal(saved.reward(rejected), rm.reward(rejected));
});

test("a folder that is not a one-label reward model is refused, naming what it is", () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-rm-bad-"));
  const rm = RewardModel.fromLanguageModel(randomModel(tinyConfig(), 7, "f32"), 8);
  saveRewardModel(dir, rm, null);
  const cfg = join(dir, "config.json");
  const json = JSON.parse(readFileSync(cfg, "utf8"));
  writeFileSync(cfg, JSON.stringify({ ...json, num_labels: 3, id2label: { 0: "a", 1: "b", 2: "c" } }));
  assert.throws(() => loadRewardModel(dir), /num_labels is 3; a reward model has one/);
  writeFileSync(cfg, JSON.stringify({ ...json, architectures: ["Qwen3ForCausalLM"] }));
  assert.throws(() => loadRewardModel(dir), /is not a reward model/);
});
