// Shared by the tests that hold a backend's layers against the TypeScript layers, bit for bit:
// one forward and backward of a model, and the shapes that exercise every loop's remainders.
import assert from "node:assert/strict";
import type { ModelConfig } from "../../src/model/config.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import type { ComputeBackend } from "../../src/model/kernels/types.ts";
import { LORA_TARGETS } from "../../src/model/lora.ts";
import { initParams } from "../../src/model/params.ts";
import { gaussian, mulberry32 } from "../../src/model/random.ts";
import { randomTokens, tinyConfig } from "./models.ts";

/** One forward and backward: log-probabilities and every gradient (base and adapters). */
export function pass(kernel: ComputeBackend, cfg: ModelConfig, T: number, withLora: boolean) {
  const model = new DecoderModel(cfg, "f32", { kernel });
  initParams(model.params, cfg, 5, 0.3);
  const r = mulberry32(6);
  for (const s of model.params.specs)
    if (s.name.endsWith(".bias") || s.shape.length === 1) {
      const v = model.params.get(s.name);
      for (let i = 0; i < v.length; i++) v[i] = 1 + 0.2 * gaussian(r);
    }
  if (withLora) {
    const lora = model.attachLora({ rank: 4, alpha: 8, targets: [...LORA_TARGETS] }, 7);
    for (let i = 0; i < lora.params.data.length; i++) lora.params.data[i] = gaussian(r) * 0.3;
    model.trainBase = true;
  }
  const tokens = randomTokens(T, cfg.vocabSize, 8);
  const targets = tokens.slice(1).concat([-1]);
  model.zeroGrad();
  const { logprobs, entropy } = model.forward(tokens, targets);
  model.backward(Array.from({ length: T }, (_, t) => Math.sin(t + 1)));
  return { logprobs, entropy, grads: model.grads!.data, lora: model.lora?.grads?.data ?? null };
}

export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  assert.equal(a.length, b.length);
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) {
      count++;
      if (first < 0) first = i;
    }
  assert.equal(
    count,
    0,
    `${what}: ${count} of ${a.length} differ, first [${first}]: ${a[first]} vs ${b[first]}`,
  );
}

/**
 * For arithmetic that trades the last bits (the fast layers): `got` differs from `want` somewhere
 * (else the switch did nothing) and nowhere by more than `tol` of want's largest magnitude.
 */
export function closeButNotSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-5) {
  assert.equal(got.length, want.length);
  let differ = 0;
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) differ++;
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  assert.ok(differ > 0, `${what}: the same bits as the exact arithmetic (the switch did nothing)`);
  assert.ok(worst < tol * scale, `${what}: largest difference ${worst} of ${scale}`);
}

/** Runs fn with these environment variables set (undefined: unset), then puts them back. */
export async function withEnv(vars: Record<string, string | undefined>, fn: () => unknown): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (vs: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vs)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  try {
    put(vars);
    await fn();
  } finally {
    put(saved);
  }
}

export const shapes: { name: string; cfg: ModelConfig; T?: number }[] = [
  {
    name: "qwen3, untied, GQA",
    cfg: tinyConfig({ hiddenSize: 48, numHeads: 6, numKVHeads: 2, headDim: 8, vocabSize: 61 }),
  },
  {
    name: "qwen2, q/k/v biases, tied",
    cfg: tinyConfig({
      arch: "qwen2",
      attentionBias: true,
      tieWordEmbeddings: true,
      numHeads: 4,
      numKVHeads: 1,
    }),
  },
  // Wide enough that the matmuls are split over threads (more than 100^3 multiply-adds a part).
  {
    name: "qwen3, products split over threads",
    cfg: tinyConfig({
      hiddenSize: 96,
      numHeads: 6,
      numKVHeads: 2,
      headDim: 16,
      intermediateSize: 200,
      vocabSize: 301,
    }),
  },
  // Rows wider than the C norms' chunk of 256 columns (and not a multiple of 8), a row count that
  // is not a multiple of the 8 rows they take at once, and three attention blocks, the last partial.
  {
    name: "qwen3, wide rows, three attention blocks",
    cfg: tinyConfig({
      hiddenSize: 264,
      numHeads: 4,
      numKVHeads: 2,
      headDim: 66,
      intermediateSize: 300,
      vocabSize: 61,
    }),
    T: 150,
  },
];
