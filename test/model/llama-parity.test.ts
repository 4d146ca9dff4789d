// Our forward pass against llama.cpp's on the same GGUF: next-token distributions agree to 1e-5.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createContext, loadGgufModel, nextTokenDistributions } from "../../src/llm/llama-cpp.ts";
import { exportGguf } from "../../src/model/checkpoint.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { randomModel, randomTokens, softmaxRows, tinyConfig } from "../helpers/models.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-parity-"));
const corpus = ["the cat sat on the mat", "a lamp by the river", "the river ran past the lamp"];
const bpe = trainBpe(corpus, 280);
const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));

const shapes = [
  {
    name: "GQA 4/2 heads, untied",
    over: { numHeads: 4, numKVHeads: 2, headDim: 8, tieWordEmbeddings: false },
  },
  { name: "MHA 2/2 heads, tied", over: { numHeads: 2, numKVHeads: 2, headDim: 16, tieWordEmbeddings: true } },
  {
    name: "GQA 8/1 heads, head dim 4, 3 layers",
    over: { numHeads: 8, numKVHeads: 1, headDim: 4, numLayers: 3, hiddenSize: 24 },
  },
  {
    name: "qwen2 architecture (q/k/v biases)",
    over: {
      arch: "qwen2" as const,
      attentionBias: true,
      hiddenSize: 32,
      numHeads: 4,
      numKVHeads: 2,
      headDim: 8,
    },
  },
  {
    name: "llama architecture (q/k rows permuted on export)",
    over: { arch: "llama" as const, ropeTheta: 10000 },
  },
];

describe("parity with llama.cpp (F32 weights, F32 KV cache)", () => {
  const disposers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const d of disposers) await d();
  });
  for (const [k, shape] of shapes.entries()) {
    test(shape.name, async () => {
      const cfg = tinyConfig({ vocabSize: tokenizer.vocabSize, ropeTheta: 1e6, ...shape.over });
      const model = randomModel(cfg, 100 + k, "f32", 0.5);
      // Biases start at 0; give them values so that they matter.
      for (const spec of model.params.specs) {
        if (!spec.name.endsWith(".bias")) continue;
        const b = model.params.get(spec.name);
        for (let i = 0; i < b.length; i++) b[i] = Math.sin(i + k);
      }
      const path = join(dir, `m${k}.gguf`);
      writeFileSync(path, exportGguf(model, tokenizer));
      const lm = await loadGgufModel(path);
      const ctx = await createContext(lm, { exact: true });
      disposers.push(async () => {
        await ctx.dispose();
        await lm.dispose();
      });
      const tokens = randomTokens(24, cfg.vocabSize, 7 + k);
      const theirs = await nextTokenDistributions(ctx, tokens, cfg.vocabSize);
      const ours = softmaxRows(model.logits(tokens), tokens.length, cfg.vocabSize);
      let maxDiff = 0;
      for (let t = 0; t < tokens.length; t++) {
        for (let j = 0; j < cfg.vocabSize; j++)
          maxDiff = Math.max(maxDiff, Math.abs(ours[t][j] - theirs[t][j]));
      }
      // The distributions must be far from uniform, or agreement would prove nothing.
      const peak = Math.max(...ours.map((row) => Math.max(...row)));
      assert.ok(peak > 5 / cfg.vocabSize, `distribution too flat to test (peak ${peak})`);
      console.log(`${shape.name}: max dp ${maxDiff.toExponential(2)}, peak ${peak.toFixed(3)}`);
      assert.ok(maxDiff <= 1e-5, `max |dp| = ${maxDiff}`);
    });
  }
});
