// A scalar reward model: the Qwen3 (or Qwen2, Llama) trunk and a value head, in Hugging Face's
// *ForSequenceClassification layout (model.* for the trunk, score.weight [1, hidden] with no bias;
// the reward is the head applied to the last token's final hidden state), so the folder loads in
// transformers. Trained with the Bradley-Terry loss -log sigmoid(r_chosen - r_rejected).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadWeights, setWeights } from "./checkpoint.ts";
import { configFromHf, configToHf, type ModelConfig } from "./config.ts";
import { DecoderModel } from "./decoder.ts";
import type { ComputeBackend, FloatArray } from "./kernels/types.ts";
import { allocate, type DType } from "./params.ts";
import { gaussian, mulberry32 } from "./random.ts";
import { encodeSafetensors } from "./safetensors.ts";
import type { TextTokenizer } from "./tokenizer/tokenizer.ts";

export const SCORE = "score.weight";

const CLASSIFIER: Record<string, string> = {
  qwen3: "Qwen3ForSequenceClassification",
  qwen2: "Qwen2ForSequenceClassification",
  llama: "LlamaForSequenceClassification",
};

/** log(1 + e^x), stable for large |x|. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export class RewardModel {
  /** The value head, score.weight [1, hidden]. */
  readonly score: FloatArray;
  scoreGrad: FloatArray;

  constructor(
    readonly trunk: DecoderModel,
    score?: ArrayLike<number>,
  ) {
    const C = trunk.cfg.hiddenSize;
    this.score = allocate(trunk.dtype, C);
    this.scoreGrad = allocate(trunk.dtype, C);
    if (score) {
      if (score.length !== C) throw new Error(`score.weight has ${score.length} values, hidden size is ${C}`);
      this.score.set(score);
    }
  }

  /** A reward model from a language model: its trunk, and a small random head (seeded). */
  static fromLanguageModel(lm: DecoderModel, seed: number, std = 0.02): RewardModel {
    const random = mulberry32(seed);
    const head = Array.from({ length: lm.cfg.hiddenSize }, () => std * gaussian(random));
    // The trunk alone: a tied copy has no separate lm_head to carry.
    const cfg: ModelConfig = { ...lm.cfg, tieWordEmbeddings: true };
    const trunk = new DecoderModel(cfg, lm.dtype, { kernel: lm.kernel });
    for (const spec of trunk.params.specs) trunk.params.get(spec.name).set(lm.params.get(spec.name));
    return new RewardModel(trunk, head);
  }

  get dtype(): DType {
    return this.trunk.dtype;
  }

  private headOf(hidden: FloatArray, T: number): number {
    const C = this.trunk.cfg.hiddenSize;
    let r = 0;
    for (let i = 0; i < C; i++) r += hidden[(T - 1) * C + i] * this.score[i];
    return r;
  }

  /** The reward of a token sequence (prompt and response, as the chat template renders them). */
  reward(tokens: ArrayLike<number>): number {
    return this.headOf(this.trunk.hidden(tokens, false), tokens.length);
  }

  zeroGrad(): void {
    this.trunk.zeroGrad();
    this.scoreGrad.fill(0);
  }

  /**
   * Back-propagates d(objective)/d(reward) through the head and the trunk, from the hidden states
   * of the trunk's last forward pass (kept activations) over `T` tokens.
   */
  private backwardFrom(hidden: FloatArray, T: number, dreward: number): void {
    const C = this.trunk.cfg.hiddenSize;
    const dhidden = allocate(this.dtype, T * C);
    for (let i = 0; i < C; i++) {
      dhidden[(T - 1) * C + i] = dreward * this.score[i];
      this.scoreGrad[i] += dreward * hidden[(T - 1) * C + i];
    }
    this.trunk.backwardHidden(dhidden);
  }

  /**
   * One Bradley-Terry pair: accumulates `weight` x the gradient of -log sigmoid(r_c - r_r) and
   * returns the loss and the margin r_c - r_r.
   */
  bradleyTerry(
    chosen: ArrayLike<number>,
    rejected: ArrayLike<number>,
    weight = 1,
  ): { loss: number; margin: number } {
    // d loss / d margin = -sigmoid(-margin): the margin needs both rewards before either backward,
    // and the trunk keeps one sequence's activations, so the rejected one is run twice.
    const rr = this.reward(rejected);
    const hc = this.trunk.hidden(chosen, true);
    const margin = this.headOf(hc, chosen.length) - rr;
    const g = -sigmoid(-margin) * weight;
    this.backwardFrom(hc, chosen.length, g);
    this.backwardFrom(this.trunk.hidden(rejected, true), rejected.length, -g);
    return { loss: softplus(-margin), margin };
  }
}

/** Writes the HF folder: config.json (…ForSequenceClassification, num_labels 1), model.safetensors. */
export function saveRewardModel(dir: string, rm: RewardModel, tokenizer: TextTokenizer | null): void {
  mkdirSync(dir, { recursive: true });
  const cfg = rm.trunk.cfg;
  const hf = configToHf(cfg);
  hf.architectures = [CLASSIFIER[cfg.arch ?? "qwen3"]];
  hf.num_labels = 1;
  hf.id2label = { 0: "LABEL_0" };
  hf.label2id = { LABEL_0: 0 };
  // transformers finds the last token through the pad id when a batch has several rows.
  hf.pad_token_id = tokenizer?.padId ?? cfg.eosTokenId;
  hf.tie_word_embeddings = false;
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(hf, null, 2)}\n`);
  const tensors = new Map<string, { shape: number[]; data: ArrayLike<number> }>();
  for (const s of rm.trunk.params.specs)
    tensors.set(s.name, { shape: s.shape, data: rm.trunk.params.get(s.name) });
  tensors.set(SCORE, { shape: [1, cfg.hiddenSize], data: rm.score });
  writeFileSync(join(dir, "model.safetensors"), encodeSafetensors(tensors));
  if (tokenizer) {
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer.json));
    writeFileSync(join(dir, "tokenizer_config.json"), `${JSON.stringify(tokenizer.config, null, 2)}\n`);
  }
}

/** Reads a …ForSequenceClassification folder with one label (ours, or one transformers wrote). */
export function loadRewardModel(dir: string, kernel?: ComputeBackend): RewardModel {
  const path = join(dir, "config.json");
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const archs = (json.architectures as string[] | undefined) ?? [];
  const arch = Object.entries(CLASSIFIER).find(([, name]) => archs.includes(name))?.[0];
  if (!arch) {
    throw new Error(
      `${path}: architecture ${archs.join(", ")} is not a reward model (expected ${Object.values(CLASSIFIER).join(", ")})`,
    );
  }
  const labels =
    (json.num_labels as number | undefined) ??
    Object.keys((json.id2label as object | undefined) ?? { 0: 0 }).length;
  if (labels !== 1) throw new Error(`${path}: num_labels is ${labels}; a reward model has one`);
  const lmArch = { qwen3: "Qwen3ForCausalLM", qwen2: "Qwen2ForCausalLM", llama: "LlamaForCausalLM" }[arch]!;
  const cfg = configFromHf({ ...json, architectures: [lmArch], tie_word_embeddings: true }, path);
  const weights = loadWeights(dir);
  const trunk = new DecoderModel(cfg, "f32", { kernel });
  setWeights(trunk, weights, dir);
  const score = weights.get(SCORE);
  if (!score) throw new Error(`${dir}: tensor ${SCORE} is missing`);
  if (score.shape.join("x") !== `1x${cfg.hiddenSize}`) {
    throw new Error(`${dir}: ${SCORE} has shape [${score.shape}], expected [1, ${cfg.hiddenSize}]`);
  }
  return new RewardModel(trunk, score.data);
}
