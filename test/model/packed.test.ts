// Packed passes: several sequences stacked in one forward and backward must give what one pass
// per sequence gives: the same log-probabilities, and gradients that add up to the per-sequence
// ones (in float64 to rounding; in float32 to the tolerance of a different summation order).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ModelConfig } from "../../src/model/config.ts";
import type { DecoderModel } from "../../src/model/decoder.ts";
import { createBlasKernel } from "../../src/model/kernels/blas.ts";
import type { ComputeBackend } from "../../src/model/kernels/types.ts";
import { LORA_TARGETS } from "../../src/model/lora.ts";
import { gaussian, mulberry32 } from "../../src/model/random.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";
import { unlessCi } from "../helpers/requirement.ts";

const lengths = [9, 1, 17, 5];

function build(cfg: ModelConfig, dtype: "f32" | "f64", kernel: ComputeBackend | undefined, lora: boolean) {
  const model = randomModel(cfg, 3, dtype);
  if (kernel) model.kernel = kernel;
  if (lora) {
    const adapters = model.attachLora({ rank: 2, alpha: 4, targets: [...LORA_TARGETS] }, 4);
    const r = mulberry32(5);
    for (let i = 0; i < adapters.params.data.length; i++) adapters.params.data[i] = 0.3 * gaussian(r);
  }
  return model;
}

function sequences(cfg: ModelConfig) {
  return lengths.map((n, i) => {
    const tokens = randomTokens(n, cfg.vocabSize, 10 + i);
    // a -1 target in the middle too: that position is not scored
    const targets = tokens
      .slice(1)
      .concat([-1])
      .map((t, j) => (j === 2 ? -1 : t));
    const weights = Array.from({ length: n }, (_, j) => Math.cos(i + j));
    return { tokens, targets, weights };
  });
}

function grads(model: DecoderModel): Float64Array {
  const g = model.lora && !model.trainBase ? model.lora.grads! : model.grads!;
  return Float64Array.from(g.data);
}

const cases = [
  { name: "qwen3, float64", cfg: tinyConfig(), dtype: "f64" as const, tol: 1e-10 },
  {
    name: "qwen2 biases, tied, float64",
    cfg: tinyConfig({ arch: "qwen2", attentionBias: true, tieWordEmbeddings: true }),
    dtype: "f64" as const,
    tol: 1e-10,
  },
  { name: "qwen3, float32, native", cfg: tinyConfig(), dtype: "f32" as const, tol: 2e-5, native: true },
  { name: "qwen3, float32, TypeScript", cfg: tinyConfig(), dtype: "f32" as const, tol: 2e-5 },
];

for (const c of cases) {
  for (const lora of [false, true]) {
    const kernel = c.native ? createBlasKernel(2) : undefined;
    test(`a packed pass equals one pass per sequence (${c.name}${lora ? ", LoRA" : ""})`, {
      skip: unlessCi(!!c.native && !kernel && "the native addon is not built"),
    }, () => {
      const seqs = sequences(c.cfg);
      const one = build(c.cfg, c.dtype, kernel ?? undefined, lora);
      one.zeroGrad();
      const each = seqs.map((q) => {
        const r = one.forward(q.tokens, q.targets);
        one.backward(q.weights);
        return r;
      });
      const packed = build(c.cfg, c.dtype, kernel ?? undefined, lora);
      packed.zeroGrad();
      const all = packed.forwardPacked(seqs);
      packed.backwardPacked(seqs.map((q) => q.weights));
      assert.equal(all.length, seqs.length);
      seqs.forEach((q, i) => {
        assert.equal(all[i].logprobs.length, q.tokens.length);
        for (let t = 0; t < q.tokens.length; t++) {
          assert.ok(
            Math.abs(all[i].logprobs[t] - each[i].logprobs[t]) <= c.tol * 10,
            `seq ${i} logprob ${t}`,
          );
          assert.ok(Math.abs(all[i].entropy[t] - each[i].entropy[t]) <= c.tol * 10, `seq ${i} entropy ${t}`);
        }
        if (q.tokens.length > 2) assert.equal(all[i].logprobs[2], 0); // the unscored position
      });
      const want = grads(one);
      const got = grads(packed);
      let scale = 0;
      for (const x of want) scale = Math.max(scale, Math.abs(x));
      assert.ok(scale > 0.01, "the gradients carry signal");
      for (let i = 0; i < want.length; i++)
        assert.ok(Math.abs(got[i] - want[i]) <= c.tol * scale, `gradient [${i}]: ${got[i]} vs ${want[i]}`);
    });
  }
}

test("a packed backward needs one gradient per packed sequence", () => {
  const cfg = tinyConfig();
  const model = randomModel(cfg, 1);
  const seqs = sequences(cfg);
  model.forwardPacked(seqs);
  assert.throws(() => model.backwardPacked(seqs.slice(1).map((q) => q.weights)), /one gradient per sequence/);
  assert.throws(() => model.forwardPacked([{ tokens: [], targets: [] }]), /packed sequence 0 is empty/);
});
