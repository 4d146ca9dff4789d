// LoRA adapters on the attention and MLP projections (and, as a target of its own, the unembedding): W' = W + (alpha / r) B A, with A [r, in]
// (Gaussian init) and B [out, r] (zero init, so training starts from the base model). Adapters
// live in their own flat buffer, named as PEFT names them, so saving is one write and the
// optimizer touches nothing else.
import { z } from "zod";
import type { ModelConfig } from "./config.ts";
import { type DType, EMBED, LM_HEAD, layerNames, ParamBuffer, type TensorSpec } from "./params.ts";
import { gaussian, mulberry32 } from "./random.ts";

export const LORA_TARGETS = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;
/**
 * The unembedding (the logits' projection) as a target: never a default, and a Tinker client's
 * choice (train_unembed) rather than a `lora:` block's.
 */
export const UNEMBED_TARGET = "lm_head";
export type LoraTarget = (typeof LORA_TARGETS)[number] | typeof UNEMBED_TARGET;

/** A config's `lora:` block: train adapters of this rank on a frozen base instead of every weight. */
export const LoraConfigSchema = z
  .object({
    rank: z.number().int().positive().default(8),
    alpha: z.number().positive().default(16),
    targets: z
      .array(z.enum(LORA_TARGETS))
      .min(1)
      .default([...LORA_TARGETS]),
  })
  .strict();
export type LoraConfig = z.infer<typeof LoraConfigSchema>;
/** What an adapter set is made from: a `lora:` block, or the same with the unembedding among its targets. */
export type LoraSettings = Omit<LoraConfig, "targets"> & { targets: LoraTarget[] };

export interface LoraPair {
  /** Base weight name, e.g. model.layers.0.self_attn.q_proj.weight */
  base: string;
  a: string;
  b: string;
  inDim: number;
  outDim: number;
}

const TARGET_KEY = {
  q_proj: "q",
  k_proj: "k",
  v_proj: "v",
  o_proj: "o",
  gate_proj: "gate",
  up_proj: "up",
  down_proj: "down",
} as const;

function baseShape(cfg: ModelConfig, target: Exclude<LoraTarget, "lm_head">): [number, number] {
  const C = cfg.hiddenSize;
  const Q = cfg.numHeads * cfg.headDim;
  const KV = cfg.numKVHeads * cfg.headDim;
  const F = cfg.intermediateSize;
  const shapes: Record<Exclude<LoraTarget, "lm_head">, [number, number]> = {
    q_proj: [Q, C],
    k_proj: [KV, C],
    v_proj: [KV, C],
    o_proj: [C, Q],
    gate_proj: [F, C],
    up_proj: [F, C],
    down_proj: [C, F],
  };
  return shapes[target];
}

export class LoraAdapters {
  readonly params: ParamBuffer;
  grads: ParamBuffer | null = null;
  readonly pairs = new Map<string, LoraPair>();
  readonly scale: number;

  constructor(
    readonly modelConfig: ModelConfig,
    readonly config: LoraSettings,
    readonly dtype: DType = "f32",
  ) {
    if (!(config.rank >= 1) || !Number.isInteger(config.rank))
      throw new Error("lora rank must be a positive integer");
    for (const t of config.targets)
      if (!(LORA_TARGETS as readonly string[]).includes(t) && t !== UNEMBED_TARGET)
        throw new Error(`unknown LoRA target "${t}" (expected ${LORA_TARGETS.join(", ")})`);
    this.scale = config.alpha / config.rank;
    const specs: TensorSpec[] = [];
    let offset = 0;
    const add = (name: string, shape: number[]) => {
      const size = shape[0] * shape[1];
      specs.push({ name, shape, offset, size });
      offset += size;
    };
    for (let i = 0; i < modelConfig.numLayers; i++) {
      const names = layerNames(i);
      for (const t of config.targets) {
        if (t === "lm_head") continue;
        const base = names[TARGET_KEY[t]];
        const stem = `base_model.model.${base.replace(/\.weight$/, "")}`;
        const [outDim, inDim] = baseShape(modelConfig, t);
        const pair = { base, a: `${stem}.lora_A.weight`, b: `${stem}.lora_B.weight`, inDim, outDim };
        add(pair.a, [config.rank, inDim]);
        add(pair.b, [outDim, config.rank]);
        this.pairs.set(base, pair);
      }
    }
    if (config.targets.includes("lm_head")) {
      // The unembedding: the logits' projection, which is the embedding matrix when the two are
      // tied (the adapter then changes the logits only, never the input embedding).
      const base = modelConfig.tieWordEmbeddings ? EMBED : LM_HEAD;
      const C = modelConfig.hiddenSize;
      const V = modelConfig.vocabSize;
      const pair = {
        base,
        a: "base_model.model.lm_head.lora_A.weight",
        b: "base_model.model.lm_head.lora_B.weight",
        inDim: C,
        outDim: V,
      };
      add(pair.a, [config.rank, C]);
      add(pair.b, [V, config.rank]);
      this.pairs.set(base, pair);
    }
    this.params = new ParamBuffer(specs, dtype);
  }

  /** PEFT's default: A ~ Kaiming-like Gaussian, B = 0 (the adapted model starts equal to the base). */
  init(seed: number): void {
    const r = mulberry32(seed);
    for (const p of this.pairs.values()) {
      const a = this.params.get(p.a);
      const std = 1 / Math.sqrt(p.inDim);
      for (let i = 0; i < a.length; i++) a[i] = gaussian(r) * std;
      this.params.get(p.b).fill(0);
    }
  }

  zeroGrad(): void {
    if (!this.grads) this.grads = new ParamBuffer(this.params.specs, this.dtype);
    else this.grads.data.fill(0);
  }

  /** W + scale * B A for one base weight (for merging and for tests). */
  merged(base: string, weight: ArrayLike<number>): Float64Array {
    const p = this.pairs.get(base);
    const out = Float64Array.from(weight);
    if (!p) return out;
    const A = this.params.get(p.a);
    const B = this.params.get(p.b);
    const r = this.config.rank;
    for (let o = 0; o < p.outDim; o++) {
      for (let i = 0; i < p.inDim; i++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += B[o * r + k] * A[k * p.inDim + i];
        out[o * p.inDim + i] += this.scale * s;
      }
    }
    return out;
  }

  /** Writes W + scale * B A into every adapted weight of `params` (a copy of the base's buffer). */
  mergeInto(params: ParamBuffer, base: ParamBuffer): void {
    for (const name of this.pairs.keys()) params.get(name).set(this.merged(name, base.get(name)));
  }

  /** PEFT's adapter_config.json. */
  peftConfig(baseModel = "writing-zero"): Record<string, unknown> {
    return {
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      base_model_name_or_path: baseModel,
      r: this.config.rank,
      lora_alpha: this.config.alpha,
      lora_dropout: 0,
      bias: "none",
      target_modules: this.config.targets,
      fan_in_fan_out: false,
      inference_mode: true,
    };
  }
}
