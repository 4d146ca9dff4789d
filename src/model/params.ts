// All parameters live in one flat buffer with a named view per tensor (llm.c's layout): zeroing
// gradients, clipping, the optimizer step and saving are each one loop over one buffer.

import { hasQkNorm, type ModelConfig } from "./config.ts";
import type { FloatArray } from "./kernels/types.ts";
import { gaussian, mulberry32 } from "./random.ts";

export interface TensorSpec {
  /** Hugging Face name, e.g. "model.layers.0.self_attn.q_proj.weight". */
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface LayerNames {
  inputNorm: string;
  q: string;
  k: string;
  v: string;
  o: string;
  qNorm: string;
  kNorm: string;
  qBias: string;
  kBias: string;
  vBias: string;
  postNorm: string;
  gate: string;
  up: string;
  down: string;
}

export function layerNames(i: number): LayerNames {
  const p = `model.layers.${i}`;
  return {
    inputNorm: `${p}.input_layernorm.weight`,
    q: `${p}.self_attn.q_proj.weight`,
    k: `${p}.self_attn.k_proj.weight`,
    v: `${p}.self_attn.v_proj.weight`,
    o: `${p}.self_attn.o_proj.weight`,
    qNorm: `${p}.self_attn.q_norm.weight`,
    kNorm: `${p}.self_attn.k_norm.weight`,
    qBias: `${p}.self_attn.q_proj.bias`,
    kBias: `${p}.self_attn.k_proj.bias`,
    vBias: `${p}.self_attn.v_proj.bias`,
    postNorm: `${p}.post_attention_layernorm.weight`,
    gate: `${p}.mlp.gate_proj.weight`,
    up: `${p}.mlp.up_proj.weight`,
    down: `${p}.mlp.down_proj.weight`,
  };
}

export const EMBED = "model.embed_tokens.weight";
export const FINAL_NORM = "model.norm.weight";
export const LM_HEAD = "lm_head.weight";

export function parameterSpecs(cfg: ModelConfig): TensorSpec[] {
  const C = cfg.hiddenSize;
  const Q = cfg.numHeads * cfg.headDim;
  const KV = cfg.numKVHeads * cfg.headDim;
  const F = cfg.intermediateSize;
  const list: [string, number[]][] = [[EMBED, [cfg.vocabSize, C]]];
  for (let i = 0; i < cfg.numLayers; i++) {
    const n = layerNames(i);
    list.push(
      [n.inputNorm, [C]],
      [n.q, [Q, C]],
      [n.k, [KV, C]],
      [n.v, [KV, C]],
      [n.o, [C, Q]],
      [n.postNorm, [C]],
      [n.gate, [F, C]],
      [n.up, [F, C]],
      [n.down, [C, F]],
    );
    if (hasQkNorm(cfg)) list.push([n.qNorm, [cfg.headDim]], [n.kNorm, [cfg.headDim]]);
    if (cfg.attentionBias) list.push([n.qBias, [Q]], [n.kBias, [KV]], [n.vBias, [KV]]);
  }
  list.push([FINAL_NORM, [C]]);
  if (!cfg.tieWordEmbeddings) list.push([LM_HEAD, [cfg.vocabSize, C]]);
  let offset = 0;
  return list.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const spec = { name, shape, offset, size };
    offset += size;
    return spec;
  });
}

export type DType = "f32" | "f64";

export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === "f64" ? new Float64Array(n) : new Float32Array(n);
}

/** A flat buffer and its named views. Gradients and optimizer moments use the same layout. */
export class ParamBuffer {
  readonly data: FloatArray;
  readonly views = new Map<string, FloatArray>();
  constructor(
    readonly specs: TensorSpec[],
    dtype: DType,
    data?: FloatArray,
  ) {
    const total = specs.reduce((s, t) => s + t.size, 0);
    this.data = data ?? allocate(dtype, total);
    if (this.data.length !== total)
      throw new Error(`buffer holds ${this.data.length} values, layout needs ${total}`);
    for (const s of specs) this.views.set(s.name, this.data.subarray(s.offset, s.offset + s.size));
  }
  get(name: string): FloatArray {
    const v = this.views.get(name);
    if (!v) throw new Error(`no tensor named ${name}`);
    return v;
  }
}

/** Normal(0, 0.02) for matrices (scaled down for the residual outputs), ones for norms. */
export function initParams(params: ParamBuffer, cfg: ModelConfig, seed: number, std = 0.02): void {
  const random = mulberry32(seed);
  const residualStd = std / Math.sqrt(2 * cfg.numLayers);
  for (const s of params.specs) {
    const v = params.get(s.name);
    if (s.name.endsWith(".bias")) v.fill(0);
    else if (s.shape.length === 1) v.fill(1);
    else {
      const sd = s.name.endsWith("o_proj.weight") || s.name.endsWith("down_proj.weight") ? residualStd : std;
      for (let i = 0; i < v.length; i++) v[i] = gaussian(random) * sd;
    }
  }
}
