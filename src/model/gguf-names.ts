// The one two-way table between Hugging Face tensor names (ours) and llama.cpp's GGUF names, and
// the one place that knows llama's q/k row order. Export (checkpoint.ts), LoRA export and import
// (gguf-import.ts) all read it, so the two directions cannot drift apart. Pure.
import { hasQkNorm, type ModelConfig } from "./config.ts";
import { EMBED, FINAL_NORM, type LayerNames, LM_HEAD, layerNames } from "./params.ts";

/** Per layer: our name (a key of layerNames) and llama.cpp's suffix after `blk.N.`. */
const LAYER_TENSORS: [keyof LayerNames, string][] = [
  ["inputNorm", "attn_norm.weight"],
  ["q", "attn_q.weight"],
  ["k", "attn_k.weight"],
  ["v", "attn_v.weight"],
  ["o", "attn_output.weight"],
  ["postNorm", "ffn_norm.weight"],
  ["gate", "ffn_gate.weight"],
  ["up", "ffn_up.weight"],
  ["down", "ffn_down.weight"],
  ["qNorm", "attn_q_norm.weight"],
  ["kNorm", "attn_k_norm.weight"],
  ["qBias", "attn_q.bias"],
  ["kBias", "attn_k.bias"],
  ["vBias", "attn_v.bias"],
];

function present(cfg: ModelConfig, key: keyof LayerNames): boolean {
  if (key === "qNorm" || key === "kNorm") return hasQkNorm(cfg);
  if (key === "qBias" || key === "kBias" || key === "vBias") return !!cfg.attentionBias;
  return true;
}

/** llama.cpp's name for each of our tensors that this configuration has, in file order. */
export function ggufTensorNames(cfg: ModelConfig): [hf: string, gguf: string][] {
  const out: [string, string][] = [[EMBED, "token_embd.weight"]];
  for (let i = 0; i < cfg.numLayers; i++) {
    const n = layerNames(i);
    for (const [key, suffix] of LAYER_TENSORS)
      if (present(cfg, key)) out.push([n[key], `blk.${i}.${suffix}`]);
  }
  out.push([FINAL_NORM, "output_norm.weight"]);
  if (!cfg.tieWordEmbeddings) out.push([LM_HEAD, "output.weight"]);
  return out;
}

/** Our parameter name for a GGUF tensor name; null for tensors we have no parameter for. */
export function hfTensorName(cfg: ModelConfig, gguf: string): string | null {
  if (gguf === "token_embd.weight") return EMBED;
  if (gguf === "output_norm.weight") return FINAL_NORM;
  if (gguf === "output.weight") return LM_HEAD;
  const m = /^blk\.(\d+)\.(.+)$/.exec(gguf);
  if (!m || Number(m[1]) >= cfg.numLayers) return null;
  const entry = LAYER_TENSORS.find(([, suffix]) => suffix === m[2]);
  return entry ? layerNames(Number(m[1]))[entry[0]] : null;
}

/**
 * llama.cpp's llama architecture rotates adjacent pairs where Hugging Face weights rotate halves,
 * so each head's q and k rows are stored reordered, as llama.cpp's own converter writes them:
 * toGguf, row h D + half D/2 + j goes to h D + 2 j + half; the other way, back. `cols` is the
 * row length (the hidden size, or a LoRA B's rank). Other tensors and architectures: unchanged.
 */
export function llamaRowOrder(
  cfg: ModelConfig,
  gguf: string,
  w: Float32Array | Float64Array,
  cols: number,
  toGguf: boolean,
): Float32Array | Float64Array {
  if ((cfg.arch ?? "qwen3") !== "llama") return w;
  const heads = gguf.endsWith("attn_q.weight")
    ? cfg.numHeads
    : gguf.endsWith("attn_k.weight")
      ? cfg.numKVHeads
      : 0;
  if (!heads) return w;
  const D = cfg.headDim;
  const out = new Float32Array(heads * D * cols);
  for (let h = 0; h < heads; h++)
    for (let half = 0; half < 2; half++)
      for (let j = 0; j < D / 2; j++) {
        const hfRow = (h * D + half * (D / 2) + j) * cols;
        const ggufRow = (h * D + 2 * j + half) * cols;
        const [from, to] = toGguf ? [hfRow, ggufRow] : [ggufRow, hfRow];
        for (let c = 0; c < cols; c++) out[to + c] = w[from + c];
      }
  return out;
}
