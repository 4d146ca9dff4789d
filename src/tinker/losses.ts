// The Tinker API's built-in losses, token by token, summed (never averaged) as the API defines
// them. Each takes the training model's log-probabilities of the datum's target tokens and gives
// the loss of every token and d(loss)/d(logprob), which the model back-propagates. Pure.
//   cross_entropy        loss_t = -w_t lp_t
//   importance_sampling  loss_t = -r_t A_t,                           r_t = exp(lp_t - q_t)
//   ppo                  loss_t = -min(r_t A_t, clip(r_t, lo, hi) A_t)  (lo, hi default 0.8, 1.2)
import { UserError } from "./errors.ts";
import type { Tensor } from "./messages.ts";

export const LOSS_FUNCTIONS = ["cross_entropy", "importance_sampling", "ppo"] as const;
export type LossFunction = (typeof LOSS_FUNCTIONS)[number];

const INPUTS: Record<LossFunction, string[]> = {
  cross_entropy: ["target_tokens", "weights"],
  importance_sampling: ["target_tokens", "logprobs", "advantages"],
  ppo: ["target_tokens", "logprobs", "advantages"],
};

const CONFIG_KEYS: Record<LossFunction, string[]> = {
  cross_entropy: [],
  importance_sampling: [],
  ppo: ["clip_low_threshold", "clip_high_threshold"],
};

export class LossInputError extends UserError {}

export function isLossFunction(name: string): name is LossFunction {
  return (LOSS_FUNCTIONS as readonly string[]).includes(name);
}

/** The loss's settings from loss_fn_config; an unknown key is refused, never ignored. */
export function lossSettings(
  lossFn: LossFunction,
  config: Record<string, number | string>,
): { clipLow: number; clipHigh: number } {
  for (const [k, v] of Object.entries(config)) {
    if (!CONFIG_KEYS[lossFn].includes(k))
      throw new LossInputError(
        `loss_fn_config["${k}"] is not a setting of ${lossFn}` +
          (CONFIG_KEYS[lossFn].length ? ` (it takes ${CONFIG_KEYS[lossFn].join(", ")})` : " (it takes none)"),
      );
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new LossInputError(`loss_fn_config["${k}"] must be a number`);
  }
  const clipLow = (config.clip_low_threshold as number | undefined) ?? 0.8;
  const clipHigh = (config.clip_high_threshold as number | undefined) ?? 1.2;
  if (!(clipLow <= 1 && clipHigh >= 1))
    throw new LossInputError(`ppo's clip thresholds must hold 1 (got ${clipLow}, ${clipHigh})`);
  return { clipLow, clipHigh };
}

/** The datum's inputs checked against the loss: every one it needs, nothing it does not, one per token. */
export function lossInputs(
  lossFn: LossFunction,
  inputs: Map<string, Tensor>,
  tokens: number,
  datum: number,
): Map<string, Float64Array> {
  const needed = INPUTS[lossFn];
  for (const name of inputs.keys())
    if (!needed.includes(name))
      throw new LossInputError(
        `data[${datum}].loss_fn_inputs["${name}"] is not an input of ${lossFn} (${needed.join(", ")})`,
      );
  const out = new Map<string, Float64Array>();
  for (const name of needed) {
    const t = inputs.get(name);
    if (!t) throw new LossInputError(`data[${datum}] lacks loss_fn_inputs["${name}"], which ${lossFn} needs`);
    if (t.data.length !== tokens)
      throw new LossInputError(
        `data[${datum}].loss_fn_inputs["${name}"] has ${t.data.length} values for ${tokens} input tokens`,
      );
    out.set(name, t.data);
  }
  return out;
}

export interface TokenLosses {
  loss: Float64Array;
  /** d(sum of loss)/d(logprob_t). */
  dlogprobs: Float64Array;
}

export function tokenLosses(
  lossFn: LossFunction,
  logprobs: ArrayLike<number>,
  inputs: Map<string, Float64Array>,
  settings: { clipLow: number; clipHigh: number },
): TokenLosses {
  const n = logprobs.length;
  const loss = new Float64Array(n);
  const dlogprobs = new Float64Array(n);
  if (lossFn === "cross_entropy") {
    const w = inputs.get("weights")!;
    for (let t = 0; t < n; t++) {
      loss[t] = -w[t] * logprobs[t];
      dlogprobs[t] = -w[t];
    }
    return { loss, dlogprobs };
  }
  const q = inputs.get("logprobs")!;
  const adv = inputs.get("advantages")!;
  for (let t = 0; t < n; t++) {
    const ratio = Math.exp(logprobs[t] - q[t]);
    const unclipped = ratio * adv[t];
    if (lossFn === "importance_sampling") {
      loss[t] = -unclipped;
      dlogprobs[t] = -unclipped;
      continue;
    }
    const clipped = Math.min(Math.max(ratio, settings.clipLow), settings.clipHigh) * adv[t];
    // min() passes the gradient of the smaller side; the clipped side's is 0 outside the range.
    if (unclipped <= clipped) {
      loss[t] = -unclipped;
      dlogprobs[t] = -unclipped;
    } else {
      loss[t] = -clipped;
      dlogprobs[t] = 0;
    }
  }
  return { loss, dlogprobs };
}
