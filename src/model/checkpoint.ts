// Hugging Face model folders (config.json, model.safetensors or a sharded index, tokenizer.json,
// tokenizer_config.json) in and out, and GGUF export for llama.cpp.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configFromHf, configToHf, type ModelConfig } from "./config.ts";
import { DecoderModel } from "./decoder.ts";
import {
  GGML_BF16,
  GGML_F16,
  GGML_F32,
  GGML_Q4_0,
  GGML_Q4_1,
  GGML_Q8_0,
  type GgufTensor,
  type GgufValue,
  writeGguf,
} from "./gguf.ts";
import { ggufTensorNames, llamaRowOrder } from "./gguf-names.ts";
import type { ComputeBackend } from "./kernels/types.ts";
import { LoraAdapters, type LoraTarget } from "./lora.ts";
import { EMBED, LM_HEAD } from "./params.ts";
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "./safetensors.ts";
import { TextTokenizer } from "./tokenizer/tokenizer.ts";

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

export function loadTokenizer(dir: string): TextTokenizer {
  const cfgPath = join(dir, "tokenizer_config.json");
  return new TextTokenizer(
    readJson(join(dir, "tokenizer.json")),
    existsSync(cfgPath) ? readJson(cfgPath) : {},
  );
}

export function loadWeights(dir: string): Map<string, NamedTensor> {
  const single = join(dir, "model.safetensors");
  if (existsSync(single)) return decodeSafetensors(readFileSync(single), single);
  const indexPath = join(dir, "model.safetensors.index.json");
  if (!existsSync(indexPath))
    throw new Error(`${dir}: neither model.safetensors nor model.safetensors.index.json`);
  const index = readJson(indexPath) as { weight_map?: Record<string, string> };
  if (!index.weight_map) throw new Error(`${indexPath}: no weight_map`);
  const out = new Map<string, NamedTensor>();
  for (const file of new Set(Object.values(index.weight_map))) {
    for (const [k, v] of decodeSafetensors(readFileSync(join(dir, file)), file)) out.set(k, v);
  }
  return out;
}

export interface LoadedModel {
  model: DecoderModel;
  tokenizer: TextTokenizer | null;
}

/** Every parameter of `model` from `weights`, checked by name and shape. */
export function setWeights(model: DecoderModel, weights: Map<string, NamedTensor>, origin: string): void {
  for (const spec of model.params.specs) {
    const t = weights.get(spec.name);
    if (!t) throw new Error(`${origin}: tensor ${spec.name} is missing`);
    if (t.shape.join("x") !== spec.shape.join("x")) {
      throw new Error(`${origin}: tensor ${spec.name} has shape [${t.shape}], config says [${spec.shape}]`);
    }
    model.params.get(spec.name).set(t.data);
  }
}

export function loadModelFolder(dir: string, kernel?: ComputeBackend): LoadedModel {
  const cfg = configFromHf(readJson(join(dir, "config.json")), join(dir, "config.json"));
  const weights = loadWeights(dir);
  const model = new DecoderModel(cfg, "f32", { kernel });
  setWeights(model, weights, dir);
  const tokenizer = existsSync(join(dir, "tokenizer.json")) ? loadTokenizer(dir) : null;
  return { model, tokenizer };
}

/** The model as one set of weights: its LoRA adapters (if any) merged into a copy of the base. */
export function mergedModel(model: DecoderModel): DecoderModel {
  if (!model.lora) return model;
  if (model.cfg.tieWordEmbeddings && model.lora.config.targets.includes("lm_head")) {
    // An adapter on a tied unembedding changes the logits, not the input embedding: the merged
    // model unties them, its lm_head the merged matrix, its embedding the base's.
    const out = new DecoderModel({ ...model.cfg, tieWordEmbeddings: false }, "f32", { kernel: model.kernel });
    for (const s of out.params.specs)
      out.params.get(s.name).set(s.name === LM_HEAD ? model.params.get(EMBED) : model.params.get(s.name));
    for (const [name, pair] of model.lora.pairs)
      out.params
        .get(name === EMBED ? LM_HEAD : name)
        .set(model.lora.merged(pair.base, model.params.get(name)));
    return out;
  }
  const out = new DecoderModel(model.cfg, "f32", {
    kernel: model.kernel,
    data: Float32Array.from(model.params.data),
  });
  model.lora.mergeInto(out.params, model.params);
  return out;
}

export function saveModelFolder(dir: string, model: DecoderModel, tokenizer: TextTokenizer | null): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(configToHf(model.cfg), null, 2)}\n`);
  const tensors = new Map<string, { shape: number[]; data: ArrayLike<number> }>();
  for (const s of model.params.specs) tensors.set(s.name, { shape: s.shape, data: model.params.get(s.name) });
  writeFileSync(join(dir, "model.safetensors"), encodeSafetensors(tensors));
  if (tokenizer) {
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer.json));
    writeFileSync(join(dir, "tokenizer_config.json"), `${JSON.stringify(tokenizer.config, null, 2)}\n`);
  }
  writeFileSync(
    join(dir, "generation_config.json"),
    `${JSON.stringify({ eos_token_id: model.cfg.eosTokenId, bos_token_id: model.cfg.bosTokenId }, null, 2)}\n`,
  );
}

export type GgufWeightType = "f32" | "f16" | "bf16" | "q8_0" | "q4_0" | "q4_1";

const WEIGHT_TYPES: Record<GgufWeightType, { type: GgufTensor["type"]; fileType: number }> = {
  f32: { type: GGML_F32, fileType: 0 },
  f16: { type: GGML_F16, fileType: 1 },
  bf16: { type: GGML_BF16, fileType: 32 },
  q8_0: { type: GGML_Q8_0, fileType: 7 },
  q4_0: { type: GGML_Q4_0, fileType: 2 },
  q4_1: { type: GGML_Q4_1, fileType: 3 },
};
export const GGUF_WEIGHT_TYPES = Object.keys(WEIGHT_TYPES) as GgufWeightType[];

export function exportGguf(
  model: DecoderModel,
  tokenizer: TextTokenizer,
  weightType: GgufWeightType = "f32",
  name = "writing-zero",
  /** Extra string metadata, e.g. a trained judge's template ("writing_zero.judge_template"). */
  extra: Record<string, string> = {},
): Buffer {
  const cfg = model.cfg;
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    throw new Error(
      `tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${cfg.vocabSize}`,
    );
  }
  const arch = cfg.arch ?? "qwen3";
  if (arch === "qwen2" && cfg.headDim * cfg.numHeads !== cfg.hiddenSize) {
    throw new Error(
      `llama.cpp's qwen2 architecture needs head_dim x num_heads = hidden_size (${cfg.headDim} x ${cfg.numHeads} != ${cfg.hiddenSize})`,
    );
  }
  const u32 = (value: number): GgufValue => ({ type: "u32", value });
  const f32 = (value: number): GgufValue => ({ type: "f32", value });
  const metadata: Record<string, GgufValue> = {
    "general.architecture": { type: "string", value: arch },
    "general.name": { type: "string", value: name },
    ...Object.fromEntries(
      Object.entries(extra).map(([k, v]) => [k, { type: "string", value: v } as GgufValue]),
    ),
    "general.file_type": u32(WEIGHT_TYPES[weightType].fileType),
    [`${arch}.context_length`]: u32(cfg.maxPositionEmbeddings),
    [`${arch}.embedding_length`]: u32(cfg.hiddenSize),
    [`${arch}.block_count`]: u32(cfg.numLayers),
    [`${arch}.feed_forward_length`]: u32(cfg.intermediateSize),
    [`${arch}.attention.head_count`]: u32(cfg.numHeads),
    [`${arch}.attention.head_count_kv`]: u32(cfg.numKVHeads),
    [`${arch}.attention.key_length`]: u32(cfg.headDim),
    [`${arch}.attention.value_length`]: u32(cfg.headDim),
    [`${arch}.attention.layer_norm_rms_epsilon`]: f32(cfg.rmsNormEps),
    [`${arch}.rope.freq_base`]: f32(cfg.ropeTheta),
    [`${arch}.rope.dimension_count`]: u32(cfg.headDim),
    ...tokenizer.ggufMetadata(),
  };
  const tensors: GgufTensor[] = ggufTensorNames(cfg).map(([hf, gguf]) => {
    const spec = model.params.specs.find((s) => s.name === hf)!;
    const matrix = spec.shape.length === 2;
    // Norm weights stay F32 (llama.cpp expects it); the block formats need rows that are
    // multiples of 32 (a matrix with shorter rows falls back to F16).
    let type: GgufTensor["type"] = GGML_F32;
    if (matrix) {
      let wanted = WEIGHT_TYPES[weightType].type;
      // The 4-bit formats keep the embedding and the output head at Q8_0, as Q4 files do (the
      // SmolLM2 Q4_1 file among them): in a tied model the embedding is the output head too, and
      // 4 bits there cost far more than anywhere else.
      if ((wanted === GGML_Q4_0 || wanted === GGML_Q4_1) && (hf === EMBED || hf === LM_HEAD))
        wanted = GGML_Q8_0;
      const blocky = wanted === GGML_Q8_0 || wanted === GGML_Q4_0 || wanted === GGML_Q4_1;
      type = blocky && spec.shape[1] % 32 !== 0 ? GGML_F16 : wanted;
    }
    let data = model.params.get(hf);
    // llama's q and k rows in llama.cpp's order (gguf-names.ts).
    data = llamaRowOrder(cfg, gguf, data, cfg.hiddenSize, true);
    return { name: gguf, shape: spec.shape, data, type };
  });
  return writeGguf(metadata, tensors);
}

/** PEFT layout: adapter_config.json and adapter_model.safetensors. */
export function saveLoraAdapter(dir: string, lora: LoraAdapters, baseModel = "writing-zero"): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "adapter_config.json"), `${JSON.stringify(lora.peftConfig(baseModel), null, 2)}\n`);
  const tensors = new Map<string, { shape: number[]; data: ArrayLike<number> }>();
  for (const s of lora.params.specs) tensors.set(s.name, { shape: s.shape, data: lora.params.get(s.name) });
  writeFileSync(join(dir, "adapter_model.safetensors"), encodeSafetensors(tensors));
}

export function loadLoraAdapter(dir: string, cfg: ModelConfig): LoraAdapters {
  const config = readJson(join(dir, "adapter_config.json")) as {
    r: number;
    lora_alpha: number;
    target_modules: LoraTarget[];
  };
  const lora = new LoraAdapters(cfg, {
    rank: config.r,
    alpha: config.lora_alpha,
    targets: config.target_modules,
  });
  const tensors = decodeSafetensors(readFileSync(join(dir, "adapter_model.safetensors")), dir);
  for (const s of lora.params.specs) {
    const t = tensors.get(s.name);
    if (!t) throw new Error(`${dir}: adapter tensor ${s.name} is missing`);
    lora.params.get(s.name).set(t.data);
  }
  return lora;
}

/** A GGUF LoRA adapter for llama.cpp: tensors <base gguf name>.lora_a / .lora_b. */
export function exportLoraGguf(lora: LoraAdapters): Buffer {
  const cfg = lora.modelConfig;
  const arch = cfg.arch ?? "qwen3";
  const names = new Map(ggufTensorNames(cfg));
  const tensors: GgufTensor[] = [];
  if (lora.config.targets.includes("lm_head"))
    throw new Error(
      "a LoRA adapter on the unembedding (lm_head) has no GGUF adapter form here: export the merged model",
    );
  for (const p of lora.pairs.values()) {
    const base = names.get(p.base)!;
    // The base GGUF's llama q/k rows are permuted (see exportGguf); B's output rows must match.
    const b = llamaRowOrder(cfg, base, lora.params.get(p.b), lora.config.rank, true);
    tensors.push({
      name: `${base}.lora_a`,
      shape: [lora.config.rank, p.inDim],
      data: lora.params.get(p.a),
      type: GGML_F32,
    });
    tensors.push({
      name: `${base}.lora_b`,
      shape: [p.outDim, lora.config.rank],
      data: b,
      type: GGML_F32,
    });
  }
  return writeGguf(
    {
      "general.type": { type: "string", value: "adapter" },
      "general.architecture": { type: "string", value: arch },
      "adapter.type": { type: "string", value: "lora" },
      "adapter.lora.alpha": { type: "f32", value: lora.config.alpha },
    },
    tensors,
  );
}
