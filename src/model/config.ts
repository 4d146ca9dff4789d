// The model's shape, read from and written to a Hugging Face config.json: Qwen3ForCausalLM (the
// default), Qwen2ForCausalLM (q/k/v biases, no q/k norm) and LlamaForCausalLM (neither).

export type Architecture = "qwen3" | "qwen2" | "llama";

const HF_ARCH: Record<Architecture, string> = {
  qwen3: "Qwen3ForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  llama: "LlamaForCausalLM",
};

export interface ModelConfig {
  /** Default qwen3. */
  arch?: Architecture;
  /** Biases on the q, k and v projections (qwen2). Default false. */
  attentionBias?: boolean;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKVHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
}

function need(json: Record<string, unknown>, key: string, origin: string): number {
  const v = json[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${origin}: "${key}" must be a number`);
  return v;
}

export function configFromHf(json: Record<string, unknown>, origin = "config.json"): ModelConfig {
  const archs = (json.architectures as string[] | undefined) ?? ["Qwen3ForCausalLM"];
  const arch = (Object.keys(HF_ARCH) as Architecture[]).find((a) => archs.includes(HF_ARCH[a]));
  if (!arch) {
    throw new Error(
      `${origin}: architecture ${archs.join(", ")} is not supported (expected ${Object.values(HF_ARCH).join(", ")})`,
    );
  }
  if (arch === "llama" && json.attention_bias === true) {
    throw new Error(`${origin}: LlamaForCausalLM with attention_bias is not supported`);
  }
  const ropeType =
    (json.rope_parameters as { rope_type?: string } | undefined)?.rope_type ??
    (json.rope_scaling as { rope_type?: string; type?: string } | null | undefined)?.rope_type ??
    (json.rope_scaling as { type?: string } | null | undefined)?.type;
  if (ropeType && ropeType !== "default") {
    throw new Error(`${origin}: rope scaling "${ropeType}" is not supported (plain RoPE only)`);
  }
  const hiddenSize = need(json, "hidden_size", origin);
  const numHeads = need(json, "num_attention_heads", origin);
  const cfg: ModelConfig = {
    arch,
    attentionBias: arch === "qwen2",
    vocabSize: need(json, "vocab_size", origin),
    hiddenSize,
    numLayers: need(json, "num_hidden_layers", origin),
    numHeads,
    numKVHeads: (json.num_key_value_heads as number | undefined) ?? numHeads,
    headDim: (json.head_dim as number | undefined) ?? hiddenSize / numHeads,
    intermediateSize: need(json, "intermediate_size", origin),
    rmsNormEps: (json.rms_norm_eps as number | undefined) ?? 1e-6,
    // transformers 5 writes rope_parameters.rope_theta; earlier versions rope_theta.
    ropeTheta:
      (json.rope_theta as number | undefined) ??
      ((json.rope_parameters as { rope_theta?: number } | undefined)?.rope_theta as number | undefined) ??
      (arch === "llama" ? 10_000 : 1_000_000),
    tieWordEmbeddings: (json.tie_word_embeddings as boolean | undefined) ?? false,
    maxPositionEmbeddings: (json.max_position_embeddings as number | undefined) ?? 4096,
    bosTokenId: (json.bos_token_id as number | undefined) ?? null,
    eosTokenId: (json.eos_token_id as number | undefined) ?? null,
  };
  validateConfig(cfg, origin);
  return cfg;
}

export function validateConfig(cfg: ModelConfig, origin = "config"): void {
  if (cfg.numHeads % cfg.numKVHeads !== 0) {
    throw new Error(
      `${origin}: num_attention_heads (${cfg.numHeads}) must be a multiple of num_key_value_heads (${cfg.numKVHeads})`,
    );
  }
  if (cfg.headDim % 2 !== 0) throw new Error(`${origin}: head_dim must be even for rotary embeddings`);
  for (const [k, v] of Object.entries(cfg)) {
    if (typeof v === "number" && !(v > 0) && !k.endsWith("TokenId"))
      throw new Error(`${origin}: ${k} must be positive`);
  }
}

export function configToHf(cfg: ModelConfig): Record<string, unknown> {
  return {
    architectures: [HF_ARCH[cfg.arch ?? "qwen3"]],
    model_type: cfg.arch ?? "qwen3",
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    num_hidden_layers: cfg.numLayers,
    num_attention_heads: cfg.numHeads,
    num_key_value_heads: cfg.numKVHeads,
    head_dim: cfg.headDim,
    intermediate_size: cfg.intermediateSize,
    rms_norm_eps: cfg.rmsNormEps,
    rope_theta: cfg.ropeTheta,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    hidden_act: "silu",
    attention_bias: cfg.attentionBias ?? false,
    attention_dropout: 0,
    use_sliding_window: false,
    torch_dtype: "float32",
    bos_token_id: cfg.bosTokenId,
    eos_token_id: cfg.eosTokenId,
  };
}

/** Qwen3 normalises each query and key head (RMSNorm over head_dim) before RoPE. */
export function hasQkNorm(cfg: ModelConfig): boolean {
  return (cfg.arch ?? "qwen3") === "qwen3";
}
