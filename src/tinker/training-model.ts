// One model a Tinker client trains: our decoder (LoRA adapters on a frozen base, or every weight),
// gradients that accumulate over forward_backward calls until optim_step, and AdamW with the
// API's per-step parameters. Saved states are plain folders: the trainable weights and, when
// asked, the optimizer's moments.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DecoderModel } from "../model/decoder.ts";
import type { LoraTarget } from "../model/lora.ts";
import { AdamW, clipGradNorm } from "../model/optimizer.ts";
import { packIndices, rowsWithin } from "../model/packing.ts";
import { decodeSafetensors, encodeSafetensors } from "../model/safetensors.ts";
import { isLossFunction, LossInputError, lossInputs, lossSettings, tokenLosses } from "./losses.ts";
import type { ForwardBackwardOutput, ForwardBackwardRequest } from "./messages.ts";

/** The API's LoRA settings (create_model's lora_config). */
export interface LoraRequest {
  rank: number;
  seed: number;
  trainMlp: boolean;
  trainAttn: boolean;
  trainUnembed: boolean;
}

/** The API's AdamParams. */
export interface AdamParams {
  learning_rate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  grad_clip_norm: number;
}

/**
 * LoRA's alpha: fixed, so that the update's scale goes as 1/rank and a learning rate carries over
 * between ranks (the convention Tinker's guidance on LoRA learning rates assumes).
 */
export const LORA_ALPHA = 32;

/** Activation memory of one packed forward pass, MiB. */
const PACK_MIB = 128;

export function loraTargets(l: LoraRequest): LoraTarget[] {
  const targets: LoraTarget[] = [];
  if (l.trainAttn) targets.push("q_proj", "k_proj", "v_proj", "o_proj");
  if (l.trainMlp) targets.push("gate_proj", "up_proj", "down_proj");
  if (l.trainUnembed) targets.push("lm_head");
  if (targets.length === 0)
    throw new LossInputError("lora_config trains nothing: set train_attn, train_mlp or train_unembed");
  return targets;
}

export interface SavedState {
  base_model: string;
  lora: LoraRequest | null;
  steps: number;
  /** ms since the epoch after which the state may not be loaded (ttl_seconds); null: never. */
  expires_at: number | null;
}

/** A saved state's description; an expired one (past its ttl_seconds) is refused. */
export function readState(dir: string): SavedState {
  if (!existsSync(join(dir, "state.json"))) throw new LossInputError(`${dir} holds no saved state`);
  const meta = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as SavedState;
  if (meta.expires_at != null && Date.now() > meta.expires_at)
    throw new LossInputError(
      `the state in ${dir} expired at ${new Date(meta.expires_at).toISOString()} (its ttl_seconds)`,
    );
  return meta;
}

export class TrainingModel {
  private optimizer: AdamW | null = null;
  /** forward_backward calls whose gradients wait for the next optim_step. */
  pendingBackwards = 0;
  steps = 0;

  constructor(
    readonly id: string,
    readonly baseName: string,
    readonly model: DecoderModel,
    readonly lora: LoraRequest | null,
  ) {
    model.zeroGrad();
  }

  private trainable() {
    return this.model.trainable();
  }

  forwardBackward(req: ForwardBackwardRequest): ForwardBackwardOutput {
    if (!isLossFunction(req.lossFn))
      throw new LossInputError(
        `loss_fn "${req.lossFn}" is not supported here (cross_entropy, importance_sampling, ppo; ` +
          "forward_backward_custom works through cross_entropy)",
      );
    const lossFn = req.lossFn;
    const settings = lossSettings(lossFn, req.config);
    const V = this.model.cfg.vocabSize;
    const data = req.data.map((d, i) => {
      if (d.tokens.length === 0) throw new LossInputError(`data[${i}].model_input is empty`);
      const inputs = lossInputs(lossFn, d.inputs, d.tokens.length, i);
      const targets = Array.from(inputs.get("target_tokens")!);
      for (const [what, list] of [
        ["model_input", d.tokens],
        ["target_tokens", targets],
      ] as const)
        for (const t of list)
          if (!Number.isInteger(t) || t < 0 || t >= V)
            throw new LossInputError(
              `data[${i}].${what} holds token ${t}, outside the vocabulary (0..${V - 1})`,
            );
      if (d.tokens.length > this.model.cfg.maxPositionEmbeddings)
        throw new LossInputError(
          `data[${i}] has ${d.tokens.length} tokens, over the model's context of ${this.model.cfg.maxPositionEmbeddings}`,
        );
      return { tokens: d.tokens, targets, inputs };
    });
    const outputs: Record<string, Float32Array>[] = new Array(data.length);
    let lossSum = 0;
    const maxRows = rowsWithin(this.model.cfg, PACK_MIB, Math.max(...data.map((d) => d.tokens.length)));
    for (const pack of packIndices(
      data.map((d) => d.tokens.length),
      maxRows,
    )) {
      const results = this.model.forwardPacked(
        pack.map((i) => ({ tokens: data[i].tokens, targets: data[i].targets })),
        !req.forwardOnly,
      );
      const grads = pack.map((i, j) => {
        const { loss, dlogprobs } = tokenLosses(lossFn, results[j].logprobs, data[i].inputs, settings);
        for (const x of loss) lossSum += x;
        outputs[i] = {
          logprobs: Float32Array.from(results[j].logprobs),
          elementwise_loss: Float32Array.from(loss),
        };
        return dlogprobs;
      });
      if (!req.forwardOnly) this.model.backwardPacked(grads);
    }
    if (!req.forwardOnly) this.pendingBackwards++;
    return { outputs, metrics: { "loss:sum": lossSum } };
  }

  optimStep(p: AdamParams): Record<string, number> {
    const { params, grads } = this.trainable();
    const o = this.optimizer;
    if (
      !o ||
      o.beta1 !== p.beta1 ||
      o.beta2 !== p.beta2 ||
      o.eps !== p.eps ||
      o.weightDecay !== p.weight_decay
    ) {
      // The API lets each step set Adam's constants; the moments carry over.
      const next = new AdamW(params.specs, params.data.length, {
        lr: p.learning_rate,
        beta1: p.beta1,
        beta2: p.beta2,
        eps: p.eps,
        weightDecay: p.weight_decay,
      });
      if (o) next.load(o.state());
      this.optimizer = next;
    }
    const norm = clipGradNorm(grads.data, p.grad_clip_norm);
    this.optimizer!.step(params.data, grads.data, p.learning_rate);
    this.model.zeroGrad();
    this.pendingBackwards = 0;
    this.steps++;
    return { "grad_norm:mean": norm };
  }

  /** The trainable weights (and the optimizer's moments) into `dir`. */
  saveState(dir: string, withOptimizer: boolean, expiresAt: number | null = null): void {
    mkdirSync(dir, { recursive: true });
    const { params } = this.trainable();
    const tensors = new Map<string, { shape: number[]; data: ArrayLike<number> }>();
    for (const s of params.specs) tensors.set(s.name, { shape: s.shape, data: params.get(s.name) });
    writeFileSync(join(dir, "weights.safetensors"), encodeSafetensors(tensors));
    const meta: SavedState = {
      base_model: this.baseName,
      lora: this.lora,
      steps: this.steps,
      expires_at: expiresAt,
    };
    writeFileSync(join(dir, "state.json"), `${JSON.stringify(meta, null, 2)}\n`);
    // A state saved before any optim_step has a fresh optimizer: said so, so that loading it
    // with its optimizer starts fresh moments instead of failing.
    if (withOptimizer && !this.optimizer)
      writeFileSync(join(dir, "optimizer.json"), `${JSON.stringify({ t: 0, fresh: true })}\n`);
    if (withOptimizer && this.optimizer) {
      const o = this.optimizer;
      const m = new Map([
        ["m", { shape: [o.m.length], data: o.m }],
        ["v", { shape: [o.v.length], data: o.v }],
      ]);
      writeFileSync(join(dir, "optimizer.safetensors"), encodeSafetensors(m));
      const constants = { t: o.t, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weight_decay: o.weightDecay };
      writeFileSync(join(dir, "optimizer.json"), `${JSON.stringify(constants)}\n`);
    }
  }

  /** Weights (and, when asked and saved, the optimizer) from a saveState() folder. */
  loadState(dir: string, withOptimizer: boolean): void {
    const meta = readState(dir);
    if (meta.base_model !== this.baseName)
      throw new LossInputError(`${dir} holds a state of ${meta.base_model}, not of ${this.baseName}`);
    const { params } = this.trainable();
    const tensors = decodeSafetensors(readFileSync(join(dir, "weights.safetensors")), dir);
    for (const s of params.specs) {
      const t = tensors.get(s.name);
      if (!t || t.data.length !== s.size)
        throw new LossInputError(`${dir}: tensor ${s.name} is missing or of another shape`);
      params.get(s.name).set(t.data);
    }
    this.model.zeroGrad();
    this.pendingBackwards = 0;
    this.steps = meta.steps;
    if (!withOptimizer) {
      this.optimizer = null;
      return;
    }
    if (!existsSync(join(dir, "optimizer.json")))
      throw new LossInputError(`${dir} holds no optimizer state (it was saved for sampling or without one)`);
    const c = JSON.parse(readFileSync(join(dir, "optimizer.json"), "utf8")) as {
      fresh?: boolean;
      t: number;
      beta1: number;
      beta2: number;
      eps: number;
      weight_decay: number;
    };
    if (c.fresh) {
      this.optimizer = null;
      return;
    }
    const o = new AdamW(params.specs, params.data.length, {
      lr: 0,
      beta1: c.beta1,
      beta2: c.beta2,
      eps: c.eps,
      weightDecay: c.weight_decay,
    });
    const mv = decodeSafetensors(readFileSync(join(dir, "optimizer.safetensors")), dir);
    o.load({ t: c.t, m: mv.get("m")!.data, v: mv.get("v")!.data });
    this.optimizer = o;
  }
}
