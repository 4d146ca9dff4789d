// Tiny model shapes for tests, with weights large enough that every path carries signal.
import type { ModelConfig } from "../../src/model/config.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import type { DType } from "../../src/model/params.ts";
import { initParams } from "../../src/model/params.ts";
import { gaussian, mulberry32 } from "../../src/model/random.ts";

export function tinyConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    vocabSize: 37,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 4,
    numKVHeads: 2,
    headDim: 8,
    intermediateSize: 24,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 128,
    bosTokenId: null,
    eosTokenId: null,
    ...over,
  };
}

/** Random weights with std `std` and norm weights near 1 (not exactly 1, so their gradients matter). */
export function randomModel(cfg: ModelConfig, seed: number, dtype: DType = "f64", std = 0.3): DecoderModel {
  const m = new DecoderModel(cfg, dtype);
  initParams(m.params, cfg, seed, std);
  const random = mulberry32(seed + 1);
  for (const s of m.params.specs) {
    if (s.shape.length === 1) {
      const v = m.params.get(s.name);
      for (let i = 0; i < v.length; i++) v[i] = 1 + 0.2 * gaussian(random);
    }
  }
  return m;
}

export function randomTokens(n: number, vocab: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

/** Row-wise softmax of logits [T, V], in f64: next-token distributions to compare with llama.cpp's. */
export function softmaxRows(logits: ArrayLike<number>, T: number, V: number): Float64Array[] {
  return Array.from({ length: T }, (_, t) => {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[t * V + j]);
    const p = new Float64Array(V);
    let s = 0;
    for (let j = 0; j < V; j++) s += p[j] = Math.exp(logits[t * V + j] - max);
    for (let j = 0; j < V; j++) p[j] /= s;
    return p;
  });
}
