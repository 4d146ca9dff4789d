// The token-level clipped surrogate (PPO/GRPO style) with asymmetric clipping, token-mean
// aggregation and an optional k3 KL penalty to a frozen reference policy. Pure: it maps per-token
// log-probabilities to the loss and its gradient with respect to the new log-probabilities,
// which the model's backward() takes directly.
//
//   ratio_t = exp(logp_t - logp_old_t)
//   L = (1/N) sum_t [ -min(ratio_t A, clip(ratio_t, 1 - eps_low, 1 + eps_high) A) + beta KL_t ]
//   KL_t (k3) = exp(logp_ref_t - logp_t) - (logp_ref_t - logp_t) - 1
// N counts every scored token of the batch (token-mean over the batch, as DAPO/Dr.GRPO do).

export interface PolicyLossOptions {
  clipLow: number;
  clipHigh: number;
  klCoef: number;
}

export const DEFAULT_POLICY_LOSS: PolicyLossOptions = { clipLow: 0.2, clipHigh: 0.28, klCoef: 0 };

export interface SequenceTerms {
  /** New log-probabilities of the response tokens (current weights). */
  logp: ArrayLike<number>;
  /** Log-probabilities under the weights that sampled, recomputed by the trainer. */
  logpOld: ArrayLike<number>;
  /** Frozen reference policy (only read when klCoef > 0). */
  logpRef?: ArrayLike<number>;
  advantage: number;
}

export interface PolicyLossResult {
  loss: number;
  /** dL/dlogp per sequence and token. */
  grads: Float64Array[];
  clipFraction: number;
  /** Mean k3 KL over scored tokens (computed whenever logpRef is given). */
  kl: number | null;
  tokens: number;
}

/**
 * `normalizer` is N, the scored tokens of the whole minibatch; it defaults to this batch's tokens.
 * Passing it lets the loop feed one sequence at a time (one set of activations in memory).
 */
export function policyLoss(
  batch: SequenceTerms[],
  options: PolicyLossOptions = DEFAULT_POLICY_LOSS,
  normalizer?: number,
): PolicyLossResult {
  const N = normalizer ?? batch.reduce((s, b) => s + b.logp.length, 0);
  let loss = 0;
  let clipped = 0;
  let klSum = 0;
  let klCount = 0;
  const grads = batch.map((b) => {
    const g = new Float64Array(b.logp.length);
    const A = b.advantage;
    for (let t = 0; t < b.logp.length; t++) {
      const ratio = Math.exp(b.logp[t] - b.logpOld[t]);
      const clippedRatio = Math.min(Math.max(ratio, 1 - options.clipLow), 1 + options.clipHigh);
      const unclippedObj = ratio * A;
      const clippedObj = clippedRatio * A;
      // The min picks the clipped branch only when it is strictly smaller; there the gradient is 0.
      const useClipped = clippedObj < unclippedObj;
      if (useClipped) clipped++;
      loss += -(useClipped ? clippedObj : unclippedObj) / N;
      g[t] = useClipped ? 0 : (-A * ratio) / N;
      if (b.logpRef) {
        const diff = b.logpRef[t] - b.logp[t];
        const kl = Math.exp(diff) - diff - 1;
        klSum += kl;
        klCount++;
        if (options.klCoef > 0) {
          loss += (options.klCoef * kl) / N;
          g[t] += (options.klCoef * (1 - Math.exp(diff))) / N;
        }
      }
    }
    return g;
  });
  const tokens = batch.reduce((s, b) => s + b.logp.length, 0);
  return {
    loss,
    grads,
    clipFraction: tokens ? clipped / tokens : 0,
    kl: klCount ? klSum / klCount : null,
    tokens,
  };
}
