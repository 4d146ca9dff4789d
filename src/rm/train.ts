// Training a scalar reward model on labelled pairs: minibatches of Bradley-Terry pairs, the shared
// trainer (model/trainer.ts) on the trunk (every weight, or its LoRA adapters) and the value head, and held-out accuracy by
// the sign of the reward difference. Knows nothing of files: sequences in, numbers out.
import type { Schedule } from "../model/optimizer.ts";
import { mulberry32 } from "../model/random.ts";
import type { RewardModel } from "../model/reward-model.ts";
import { groupOf, Trainer } from "../model/trainer.ts";

/** One labelled pair, tokenised: the preferred response's sequence and the other's. */
export interface TokenPair {
  chosen: number[];
  rejected: number[];
}

export interface RmTrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  gradClip: number;
  seed: number;
  schedule?: Schedule;
  onStep?: (s: { step: number; loss: number; accuracy: number; lr: number }) => void;
}

/** Trains in place; returns the mean loss of each step. */
export function trainRewardModel(rm: RewardModel, pairs: TokenPair[], o: RmTrainOptions): number[] {
  if (pairs.length === 0) throw new Error("no training pairs");
  rm.zeroGrad();
  // The trunk (every weight, or its LoRA adapters) and the value head, under one global norm.
  const head = {
    params: rm.score,
    grads: rm.scoreGrad,
    specs: [{ name: "score.weight", shape: [1, rm.score.length], offset: 0, size: rm.score.length }],
  };
  const trainer = new Trainer([groupOf(rm.trunk.trainable()), head], {
    lr: o.lr,
    weightDecay: o.weightDecay,
    schedule: o.schedule ?? { kind: "cosine", warmupSteps: Math.ceil(o.steps / 20), totalSteps: o.steps },
    gradClip: o.gradClip,
  });
  const random = mulberry32(o.seed);
  const losses: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    rm.zeroGrad();
    let loss = 0;
    let right = 0;
    for (let b = 0; b < o.batchSize; b++) {
      const pair = pairs[Math.floor(random() * pairs.length)];
      const r = rm.bradleyTerry(pair.chosen, pair.rejected, 1 / o.batchSize);
      loss += r.loss / o.batchSize;
      if (r.margin > 0) right++;
    }
    const lr = trainer.lrAt(step);
    trainer.apply(lr);
    losses.push(loss);
    o.onStep?.({ step, loss, accuracy: right / o.batchSize, lr });
  }
  return losses;
}

export interface RmAccuracy {
  n: number;
  accuracy: number;
  /** Mean reward difference (chosen - rejected). */
  meanMargin: number;
  /** Pairs whose rewards are exactly equal (counted as wrong). */
  ties: number;
  /**
   * Share of pairs whose verdict is the same when scored in the other order (rejected first):
   * measured like a GenRM's, not assumed. A scalar model scores each response alone, so anything
   * below 1 means its scores are not reproducible call to call.
   */
  consistency: number;
}

/** Held-out accuracy: the preferred response gets the higher reward. */
export function rewardAccuracy(rm: RewardModel, pairs: TokenPair[]): RmAccuracy {
  let right = 0;
  let ties = 0;
  let margin = 0;
  let consistent = 0;
  for (const p of pairs) {
    const m = rm.reward(p.chosen) - rm.reward(p.rejected);
    const rejected = rm.reward(p.rejected);
    const swapped = rm.reward(p.chosen) - rejected;
    if (Math.sign(swapped) === Math.sign(m)) consistent++;
    margin += m;
    if (m > 0) right++;
    else if (m === 0) ties++;
  }
  const n = pairs.length;
  return {
    n,
    accuracy: n ? right / n : Number.NaN,
    meanMargin: n ? margin / n : Number.NaN,
    ties,
    consistency: n ? consistent / n : Number.NaN,
  };
}
