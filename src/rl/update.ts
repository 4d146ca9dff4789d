// One policy update: the clipped surrogate over the step's training items, back-propagated in
// packed passes of several sequences (token-mean over each minibatch), then the trainer's update
// (global-norm clipping, AdamW) once per minibatch. Old log-probabilities come from the weights
// that sampled; the reference's from the frozen model.

import type { DecoderModel } from "../model/decoder.ts";
import { packIndices, rowsWithin } from "../model/packing.ts";
import { sampleWithoutReplacement } from "../model/random.ts";
import type { Trainer } from "../model/trainer.ts";
import { type ResponseLogprobs, responseLogprobsPacked, type TrainingItem } from "./data.ts";
import { policyLoss } from "./policy-loss.ts";

export interface UpdateOptions {
  lr: number;
  epochs: number;
  minibatches: number;
  clipLow: number;
  clipHigh: number;
  klCoef: number;
  /** Activation memory for one packed pass, MiB (0: one sequence a pass). */
  packMiB: number;
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

/**
 * The update's minibatches in order: each epoch a seeded shuffle of the items cut into
 * `minibatches` chunks, each with its scored tokens (the token-mean's N); empty ones left out.
 * Shared by the embedded update and the remote one, so both see the same chunks.
 */
export function* minibatchesOf(
  items: TrainingItem[],
  o: Pick<UpdateOptions, "epochs" | "minibatches" | "random">,
): Generator<{ chunk: number[]; tokens: number }> {
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const idx = sampleWithoutReplacement(items.length, items.length, o.random);
    const per = Math.ceil(idx.length / o.minibatches);
    for (let mb = 0; mb < o.minibatches; mb++) {
      const chunk = idx.slice(mb * per, (mb + 1) * per);
      if (chunk.length === 0) continue;
      const tokens = chunk.reduce((s, i) => s + items[i].rollout.responseTokens.length, 0);
      if (tokens > 0) yield { chunk, tokens };
    }
  }
}

/** One item's clipped surrogate (with the KL term) in a minibatch of N tokens, tallied for the step's figures. */
export class LossTally {
  private clipSum = 0;
  private clipTokens = 0;
  private lossSum = 0;

  constructor(private readonly o: Pick<UpdateOptions, "clipLow" | "clipHigh" | "klCoef">) {}

  /** dL/dlogp of the item's response tokens. */
  grads(cur: ResponseLogprobs, old: ResponseLogprobs, ref: ResponseLogprobs, advantage: number, N: number) {
    const res = policyLoss(
      [{ logp: cur.logp, logpOld: old.logp, logpRef: ref.logp, advantage }],
      { clipLow: this.o.clipLow, clipHigh: this.o.clipHigh, klCoef: this.o.klCoef },
      N,
    );
    this.clipSum += res.clipFraction * res.tokens;
    this.clipTokens += res.tokens;
    this.lossSum += res.loss;
    return res.grads[0];
  }

  result(old: ResponseLogprobs[], ref: ResponseLogprobs[], gradNorm: number): UpdateResult {
    return {
      old,
      ref,
      clipFraction: this.clipTokens ? this.clipSum / this.clipTokens : 0,
      gradNorm,
      loss: this.lossSum,
    };
  }
}

export function policyUpdate(
  policy: DecoderModel,
  reference: DecoderModel,
  trainer: Trainer,
  items: TrainingItem[],
  o: UpdateOptions,
): UpdateResult {
  // With a single update the training forward pass runs on the weights that sampled, so it
  // supplies the old log-probabilities; with several they must be taken up front.
  const singleUpdate = o.epochs * o.minibatches === 1;
  const lengths = items.map((it) => it.sequence.tokens.length);
  const maxRows = rowsWithin(policy.cfg, o.packMiB, Math.max(0, ...lengths));
  const packsOf = (indices: number[]) =>
    packIndices(
      indices.map((i) => lengths[i]),
      maxRows,
    ).map((pack) => pack.map((j) => indices[j]));
  const everything = packsOf(items.map((_, i) => i));
  const logprobsOf = (model: DecoderModel) => {
    const out: ResponseLogprobs[] = new Array(items.length);
    for (const pack of everything) {
      const res = responseLogprobsPacked(
        model,
        pack.map((i) => items[i].sequence),
        false,
      );
      pack.forEach((i, j) => {
        out[i] = res[j];
      });
    }
    return out;
  };
  const old: ResponseLogprobs[] = singleUpdate ? new Array(items.length) : logprobsOf(policy);
  const ref = logprobsOf(reference);
  const tally = new LossTally(o);
  let gradNorm = 0;
  for (const { chunk, tokens } of minibatchesOf(items, o)) {
    policy.zeroGrad();
    for (const pack of packsOf(chunk)) {
      const curs = responseLogprobsPacked(
        policy,
        pack.map((i) => items[i].sequence),
        true,
      );
      const ds = pack.map((i, j) => {
        const cur = curs[j];
        old[i] ??= cur;
        const d = new Float64Array(cur.length);
        d.set(tally.grads(cur, old[i], ref[i], items[i].advantage, tokens), cur.from);
        return d;
      });
      policy.backwardPacked(ds);
    }
    gradNorm = trainer.apply(o.lr);
  }
  return tally.result(old, ref, gradNorm);
}
