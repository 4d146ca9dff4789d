// LoRA: gradients against finite differences, equivalence with merged weights, parity with
// llama.cpp's runtime adapters, PEFT files, and a training run that leaves the base untouched.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createContext, loadGgufModel, nextTokenDistributions } from "../../src/llm/llama-cpp.ts";
import { exportGguf, exportLoraGguf, loadLoraAdapter, saveLoraAdapter } from "../../src/model/checkpoint.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import { LoraAdapters } from "../../src/model/lora.ts";
import { evalLoss, pretrain } from "../../src/model/pretrain.ts";
import { gaussian, mulberry32 } from "../../src/model/random.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { makeCorpus } from "../../src/world/constrained-writing.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";

const ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

function withRandomLora(model: DecoderModel, seed: number, dtype: "f32" | "f64" = "f64") {
  const lora = new LoraAdapters(model.cfg, { rank: 3, alpha: 6, targets: [...ALL] }, dtype);
  const r = mulberry32(seed);
  for (let i = 0; i < lora.params.data.length; i++) lora.params.data[i] = gaussian(r) * 0.3;
  model.lora = lora;
  return lora;
}

describe("LoRA", () => {
  test("adapter gradients match finite differences; the frozen base gets none", () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 4, "f64");
    const lora = withRandomLora(model, 5);
    model.trainBase = false;
    const tokens = randomTokens(7, cfg.vocabSize, 2);
    const targets = tokens.slice(1).concat([-1]);
    const w = [0.3, -0.5, 0.9, 0.1, -0.2, 0.7, 0];
    const objective = () =>
      model.forward(tokens, targets, false).logprobs.reduce((s, lp, t) => s + w[t] * lp, 0);
    model.zeroGrad();
    model.forward(tokens, targets);
    model.backward(w);
    assert.ok(model.grads!.get("model.layers.0.self_attn.q_proj.weight").every((x) => x === 0));
    const h = 1e-6;
    for (const s of lora.params.specs) {
      const p = lora.params.get(s.name);
      const g = lora.grads!.get(s.name);
      for (const i of [0, Math.floor(p.length / 2), p.length - 1]) {
        const orig = p[i];
        p[i] = orig + h;
        const up = objective();
        p[i] = orig - h;
        const down = objective();
        p[i] = orig;
        const fd = (up - down) / (2 * h);
        const err = Math.abs(fd - g[i]) / Math.max(1e-6, Math.abs(fd) + Math.abs(g[i]));
        assert.ok(err <= 1e-3, `${s.name}[${i}]: ${g[i]} vs ${fd}`);
      }
    }
  });

  test("logits with adapters equal logits of the merged weights", () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 6, "f64");
    const lora = withRandomLora(model, 7);
    const tokens = randomTokens(9, cfg.vocabSize, 3);
    const withAdapters = model.logits(tokens);
    const merged = new DecoderModel(cfg, "f64", { data: Float64Array.from(model.params.data) });
    for (const base of lora.pairs.keys())
      merged.params.get(base).set(lora.merged(base, model.params.get(base)));
    const plain = merged.logits(tokens);
    for (let i = 0; i < plain.length; i++) assert.ok(Math.abs(plain[i] - withAdapters[i]) < 1e-9);
  });

  for (const arch of ["qwen3", "llama"] as const)
    test(`a ${arch} GGUF adapter in llama.cpp gives our distributions (max |dp| <= 1e-5); PEFT files round-trip`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "wz-lora-"));
      const bpe = trainBpe(["a lamp by the river", "the river and the lamp"], 280);
      const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
      const cfg = tinyConfig({ vocabSize: tok.vocabSize, ropeTheta: 1e6, arch });
      const model = randomModel(cfg, 8, "f32", 0.4);
      const lora = withRandomLora(model, 9, "f32");
      writeFileSync(join(dir, "base.gguf"), exportGguf(model, tok));
      writeFileSync(join(dir, "adapter.gguf"), exportLoraGguf(lora));
      const lm = await loadGgufModel(join(dir, "base.gguf"));
      const ctx = await createContext(lm, {
        exact: true,
        lora: [{ filePath: join(dir, "adapter.gguf"), scale: 1 }],
      });
      const tokens = randomTokens(16, cfg.vocabSize, 11);
      const theirs = await nextTokenDistributions(ctx, tokens, cfg.vocabSize);
      const logits = model.logits(tokens);
      let maxDiff = 0;
      for (let t = 0; t < tokens.length; t++) {
        const row = Array.from(logits.subarray(t * cfg.vocabSize, (t + 1) * cfg.vocabSize));
        const m = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
        row.forEach((x, j) => {
          maxDiff = Math.max(maxDiff, Math.abs(Math.exp(x - m) / z - theirs[t][j]));
        });
      }
      await ctx.dispose();
      await lm.dispose();
      assert.ok(maxDiff <= 1e-5, `max |dp| ${maxDiff}`);

      saveLoraAdapter(join(dir, "peft"), lora);
      const config = JSON.parse(readFileSync(join(dir, "peft", "adapter_config.json"), "utf8"));
      assert.equal(config.peft_type, "LORA");
      assert.equal(config.r, 3);
      assert.equal(config.lora_alpha, 6);
      assert.ok(existsSync(join(dir, "peft", "adapter_model.safetensors")));
      const back = loadLoraAdapter(join(dir, "peft"), cfg);
      assert.deepEqual(Array.from(back.params.data), Array.from(lora.params.data));
      assert.ok(
        back.params.specs.some(
          (s) => s.name === "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
        ),
      );
    });

  test("training only the adapters lowers the loss and leaves the base weights bit-identical", async () => {
    // A frozen pretrained base adapted to a small set: the adapters alone must fit it. (On a
    // random base LoRA can do little: the frozen output head is what limits the logits.)
    const examples = makeCorpus(200, 5);
    const texts = examples.map((e) => `${e.prompt}\n${e.response}`);
    const bpe = trainBpe(texts, 400);
    const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
    const seqs = texts.map((t) => tok.encode(t));
    const { selectKernel } = await import("../../src/model/kernels/select.ts");
    const model = DecoderModel.random(
      tinyConfig({ vocabSize: tok.vocabSize, hiddenSize: 32, headDim: 8, intermediateSize: 64 }),
      2,
      "f32",
      await selectKernel("auto"),
    );
    pretrain(model, seqs.slice(0, 180), { steps: 80, batchSize: 8, lr: 4e-3, seed: 1 });
    const base = Float32Array.from(model.params.data);
    const subset = seqs.slice(0, 12);
    const before = evalLoss(model, subset);
    const lora = new LoraAdapters(model.cfg, { rank: 8, alpha: 16, targets: [...ALL] });
    lora.init(3);
    model.lora = lora;
    model.trainBase = false;
    assert.ok(
      Math.abs(evalLoss(model, subset) - before) < 1e-6,
      "B = 0 at init: the adapted model equals the base",
    );
    pretrain(model, subset, { steps: 60, batchSize: 6, lr: 1e-2, seed: 2, schedule: { kind: "constant" } });
    const after = evalLoss(model, subset);
    assert.ok(after < before - 0.15, `loss on the adapted set ${before} -> ${after}`);
    assert.deepEqual(Array.from(model.params.data), Array.from(base));
  });
});
