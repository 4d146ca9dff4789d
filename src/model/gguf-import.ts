// A GGUF model (llama, qwen2, qwen3) into our engine: the shape from the metadata, every tensor
// dequantised to f32 (F32, F16, BF16, Q8_0, Q4_0, Q4_1), llama.cpp's names mapped back to Hugging
// Face's (undoing the q/k row permutation llama.cpp's converter applies to llama), and the
// tokenizer rebuilt as a tokenizer.json from tokenizer.ggml.* (gpt2-style byte-level BPE).
import { closeSync, openSync, readSync } from "node:fs";
import type { Architecture, ModelConfig } from "./config.ts";
import { validateConfig } from "./config.ts";
import { DecoderModel } from "./decoder.ts";
import { type GgufInfo, readGgufHeader } from "./gguf.ts";
import { hfTensorName, llamaRowOrder } from "./gguf-names.ts";
import { dequantize, ggmlBytes, ggmlTypeName } from "./gguf-quant.ts";
import type { ComputeBackend } from "./kernels/types.ts";
import { byteLevelBpeJson } from "./tokenizer/bpe-train.ts";
import { TextTokenizer } from "./tokenizer/tokenizer.ts";

const ARCHS: Architecture[] = ["llama", "qwen2", "qwen3"];

export interface ImportedGguf {
  model: DecoderModel;
  tokenizer: TextTokenizer;
  /** Tensor types found, e.g. { Q4_1: 210, F32: 61, Q8_0: 1 }. */
  types: Record<string, number>;
}

function num(info: GgufInfo, key: string, fallback?: number): number {
  const v = info.metadata.get(key);
  if (typeof v === "number") return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`metadata ${key} is missing`);
}

export function configFromGguf(info: GgufInfo): ModelConfig {
  const arch = info.metadata.get("general.architecture") as Architecture;
  if (!ARCHS.includes(arch)) {
    throw new Error(`general.architecture "${arch}" is not supported (expected ${ARCHS.join(", ")})`);
  }
  const k = (key: string, fallback?: number) => num(info, `${arch}.${key}`, fallback);
  const hiddenSize = k("embedding_length");
  const numHeads = k("attention.head_count");
  const tokens = info.metadata.get("tokenizer.ggml.tokens") as string[] | undefined;
  const hasBias = info.tensors.some((t) => t.name === "blk.0.attn_q.bias");
  const tokenId = (key: string) => {
    const v = info.metadata.get(`tokenizer.ggml.${key}`);
    return typeof v === "number" ? v : null;
  };
  const cfg: ModelConfig = {
    arch,
    attentionBias: hasBias,
    vocabSize: tokens?.length ?? k("vocab_size"),
    hiddenSize,
    numLayers: k("block_count"),
    numHeads,
    numKVHeads: k("attention.head_count_kv", numHeads),
    headDim: k("attention.key_length", hiddenSize / numHeads),
    intermediateSize: k("feed_forward_length"),
    rmsNormEps: k("attention.layer_norm_rms_epsilon", 1e-6),
    ropeTheta: k("rope.freq_base", arch === "llama" ? 10_000 : 1_000_000),
    tieWordEmbeddings: !info.tensors.some((t) => t.name === "output.weight"),
    maxPositionEmbeddings: k("context_length", 4096),
    bosTokenId: tokenId("bos_token_id"),
    eosTokenId: tokenId("eos_token_id"),
  };
  validateConfig(cfg, "GGUF metadata");
  return cfg;
}

/** Reads and dequantises one tensor. */
function readTensor(fd: number, info: GgufInfo, t: GgufInfo["tensors"][number]): Float32Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const bytes = Buffer.alloc(ggmlBytes(t.type, count));
  const got = readSync(fd, bytes, 0, bytes.length, info.dataOffset + t.offset);
  if (got !== bytes.length) throw new Error(`tensor ${t.name}: the file ends inside its data`);
  return dequantize(t.type, bytes, count);
}

/** The pre-tokenizer llama.cpp applies for tokenizer.ggml.pre, as a tokenizer.json pre_tokenizer. */
function preTokenizer(pre: string | undefined): Record<string, unknown> {
  const byteLevel = (useRegex: boolean) => ({
    type: "ByteLevel",
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: useRegex,
  });
  const split = (regex: string) => ({
    type: "Split",
    pattern: { Regex: regex },
    behavior: "Isolated",
    invert: false,
  });
  switch (pre ?? "default") {
    case "default":
    case "gpt-2":
      return byteLevel(true);
    // SmolLM and the StarCoder family: every digit alone, then GPT-2's split.
    case "smollm":
    case "starcoder":
    case "refact":
      return {
        type: "Sequence",
        pretokenizers: [{ type: "Digits", individual_digits: true }, byteLevel(true)],
      };
    case "qwen2":
      return {
        type: "Sequence",
        pretokenizers: [
          split(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
          ),
          byteLevel(false),
        ],
      };
    case "llama-bpe":
      return {
        type: "Sequence",
        pretokenizers: [
          split(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
          ),
          byteLevel(false),
        ],
      };
    default:
      throw new Error(
        `tokenizer.ggml.pre "${pre}" is not supported (default, gpt-2, smollm, qwen2, llama-bpe are)`,
      );
  }
}

/** tokenizer.json and tokenizer_config.json from a GGUF's tokenizer.ggml.* metadata. */
export function tokenizerFromGguf(info: GgufInfo): TextTokenizer {
  const m = info.metadata;
  const model = m.get("tokenizer.ggml.model");
  if (model !== "gpt2")
    throw new Error(`tokenizer.ggml.model "${model}" is not supported (gpt2 byte-level BPE is)`);
  const tokens = m.get("tokenizer.ggml.tokens") as string[];
  const types = (m.get("tokenizer.ggml.token_type") as number[] | undefined) ?? [];
  const merges = (m.get("tokenizer.ggml.merges") as string[]) ?? [];
  // Token type 3 is a control token (special), 4 a user-defined one: both are added tokens.
  const added = tokens.flatMap((content, id) =>
    types[id] === 3 || types[id] === 4 ? [{ id, content, special: types[id] === 3 }] : [],
  );
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  const json = byteLevelBpeJson({
    vocab,
    merges: merges.map((x) => x.split(" ") as [string, string]),
    added,
    preTokenizer: preTokenizer(m.get("tokenizer.ggml.pre") as string | undefined),
  });
  const tokenOf = (key: string) => {
    const id = m.get(`tokenizer.ggml.${key}`);
    return typeof id === "number" && id >= 0 && id < tokens.length ? tokens[id] : null;
  };
  const config = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: tokenOf("bos_token_id"),
    eos_token: tokenOf("eos_token_id"),
    pad_token: tokenOf("padding_token_id"),
    unk_token: tokenOf("unknown_token_id"),
    add_bos_token: m.get("tokenizer.ggml.add_bos_token") === true,
    chat_template: (m.get("tokenizer.chat_template") as string | undefined) ?? null,
    model_max_length: num(info, `${m.get("general.architecture")}.context_length`, 4096),
    added_tokens_decoder: Object.fromEntries(
      added.map((a) => [
        String(a.id),
        {
          content: a.content,
          lstrip: false,
          rstrip: false,
          normalized: false,
          single_word: false,
          special: a.special,
        },
      ]),
    ),
  };
  return new TextTokenizer(json, config);
}

/** Named GGUF tensors, dequantised to f32 as stored (ggml dims, no renaming or permutation). */
export function readGgufTensors(
  path: string,
  names: string[],
): Map<string, { dims: number[]; type: number; data: Float32Array }> {
  const info = readGgufHeader(path);
  const out = new Map<string, { dims: number[]; type: number; data: Float32Array }>();
  const fd = openSync(path, "r");
  try {
    for (const name of names) {
      const t = info.tensors.find((x) => x.name === name);
      if (!t) throw new Error(`${path}: no tensor ${name}`);
      out.set(name, { dims: t.dims, type: t.type, data: readTensor(fd, info, t) });
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Reads a GGUF model file into our engine (f32 weights) with its tokenizer. */
export function importGguf(
  path: string,
  options: { log?: (line: string) => void; kernel?: ComputeBackend } = {},
): ImportedGguf {
  const info = readGgufHeader(path);
  const fail = (e: unknown): never => {
    throw new Error(`${path}: ${(e as Error).message}`);
  };
  let cfg: ModelConfig;
  let tokenizer: TextTokenizer;
  try {
    cfg = configFromGguf(info);
    tokenizer = tokenizerFromGguf(info);
  } catch (e) {
    return fail(e);
  }
  const model = new DecoderModel(cfg, "f32", { kernel: options.kernel });
  const types: Record<string, number> = {};
  const seen = new Set<string>();
  const fd = openSync(path, "r");
  try {
    for (const [i, t] of info.tensors.entries()) {
      const name = hfTensorName(cfg, t.name);
      if (!name) continue; // llama.cpp extras (rope_freqs and the like) have no parameter here
      const spec = model.params.specs.find((s) => s.name === name);
      if (!spec) throw new Error(`tensor ${t.name} (${name}) does not fit a ${cfg.arch} model`);
      const shape = [...t.dims].reverse();
      if (shape.join("x") !== spec.shape.join("x")) {
        throw new Error(`tensor ${t.name} has shape [${shape}], the metadata implies [${spec.shape}]`);
      }
      // llama's q and k rows back from llama.cpp's order (gguf-names.ts).
      const data = llamaRowOrder(cfg, t.name, readTensor(fd, info, t), cfg.hiddenSize, false);
      model.params.get(name).set(data);
      seen.add(name);
      const type = ggmlTypeName(t.type);
      types[type] = (types[type] ?? 0) + 1;
      if (options.log && (i + 1) % 50 === 0) options.log(`  ${i + 1}/${info.tensors.length} tensors`);
    }
  } catch (e) {
    fail(e);
  } finally {
    closeSync(fd);
  }
  const missing = model.params.specs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length)
    fail(new Error(`no tensor for ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}`));
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    fail(new Error(`the tokenizer has ${tokenizer.vocabSize} tokens, the embedding ${cfg.vocabSize} rows`));
  }
  return { model, tokenizer, types };
}
