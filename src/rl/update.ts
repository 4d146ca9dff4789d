// One policy update: the clipped surrogate over the step's training items, back-propagated one
// sequence at a time (token-mean over each minibatch), global-norm clipping, then AdamW. Old
// log-probabilities come from the weights that sampled; the reference's from the frozen model.
import { type AdamW, clipGradNorm } from "../model/optimizer.ts";
import type { Qwen3Model } from "../model/qwen3.ts";
import { type ResponseLogprobs, responseLogprobs, type TrainingItem } from "./data.ts";
import { policyLoss } from "./policy-loss.ts";
import { sampleWithoutReplacement } from "./random.ts";

export interface UpdateOptions {
  lr: number;
  epochs: number;
  minibatches: number;
  clipLow: number;
  clipHigh: number;
  klCoef: number;
  gradClip: number;
  /** Seeded source for the minibatch order. */
  random: () => number;
}

export interface UpdateResult {
  /** Log-probabilities and entropies of each item under the weights that sampled. */
  old: ResponseLogprobs[];
  /** The same under the frozen reference model. */
  ref: ResponseLogprobs[];
  clipFraction: number;
  gradNorm: number;
  loss: number;
}

export function policyUpdate(
  policy: Qwen3Model,
  reference: Qwen3Model,
  opt: AdamW,
  items: TrainingItem[],
  o: UpdateOptions,
): UpdateResult {
  // With a single update the training forward pass runs on the weights that sampled, so it
  // supplies the old log-probabilities; with several they must be taken up front.
  const singleUpdate = o.epochs * o.minibatches === 1;
  const old: ResponseLogprobs[] = singleUpdate
    ? new Array(items.length)
    : items.map((it) => responseLogprobs(policy, it.sequence, false));
  const ref = items.map((it) => responseLogprobs(reference, it.sequence, false));
  let clipSum = 0;
  let clipTokens = 0;
  let gradNorm = 0;
  let lossSum = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const idx = sampleWithoutReplacement(items.length, items.length, o.random);
    const per = Math.ceil(idx.length / o.minibatches);
    for (let mb = 0; mb < o.minibatches; mb++) {
      const chunk = idx.slice(mb * per, (mb + 1) * per);
      if (chunk.length === 0) continue;
      const N = chunk.reduce((s, i) => s + items[i].rollout.responseTokens.length, 0);
      if (N === 0) continue;
      policy.zeroGrad();
      for (const i of chunk) {
        const cur = responseLogprobs(policy, items[i].sequence, true);
        old[i] ??= cur;
        const res = policyLoss(
          [{ logp: cur.logp, logpOld: old[i].logp, logpRef: ref[i].logp, advantage: items[i].advantage }],
          { clipLow: o.clipLow, clipHigh: o.clipHigh, klCoef: o.klCoef },
          N,
        );
        const d = new Float64Array(cur.length);
        d.set(res.grads[0], cur.from);
        policy.backward(d);
        clipSum += res.clipFraction * res.tokens;
        clipTokens += res.tokens;
        lossSum += res.loss;
      }
      const { params, grads } = policy.trainable();
      gradNorm = clipGradNorm(grads.data, o.gradClip);
      opt.step(params.data, grads.data, o.lr);
    }
  }
  return { old, ref, clipFraction: clipTokens ? clipSum / clipTokens : 0, gradNorm, loss: lossSum };
}
