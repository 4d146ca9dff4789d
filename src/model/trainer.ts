// The one trainer scaffold every training loop shares (pretraining and SFT, the scalar reward
// model, RL updates): AdamW per parameter group, the learning-rate schedule, one global-norm clip
// over every group's gradients, and the optimizer state a checkpoint saves. A loop accumulates a
// batch's gradients (each backward pass adds into the gradient buffers), then calls apply().
import type { FloatArray } from "./kernels/types.ts";
import { AdamW, clipGradNorm, learningRate, type Schedule } from "./optimizer.ts";
import type { TensorSpec } from "./params.ts";

/** Flat parameters the trainer updates, their gradients and their tensors (for weight decay). */
export interface ParamGroup {
  params: FloatArray;
  grads: FloatArray;
  specs: TensorSpec[];
}

export interface TrainerOptions {
  lr: number;
  weightDecay: number;
  schedule: Schedule;
  /** Global-norm limit over every group's gradients (0: no clipping). */
  gradClip: number;
}

/** A model's trainable buffers (every weight, or its LoRA adapters) as one group. */
export function groupOf(trainable: {
  params: { data: FloatArray; specs: TensorSpec[] };
  grads: { data: FloatArray };
}): ParamGroup {
  return { params: trainable.params.data, grads: trainable.grads.data, specs: trainable.params.specs };
}

export class Trainer {
  readonly optimizers: AdamW[];

  constructor(
    readonly groups: ParamGroup[],
    readonly options: TrainerOptions,
  ) {
    this.optimizers = groups.map(
      (g) => new AdamW(g.specs, g.params.length, { lr: options.lr, weightDecay: options.weightDecay }),
    );
  }

  /** The scheduled learning rate of step `step` (0-based). */
  lrAt(step: number): number {
    return learningRate(this.options.lr, this.options.schedule, step);
  }

  /** One update from the accumulated gradients: clip, then AdamW at `lr`. Returns the norm before clipping. */
  apply(lr: number): number {
    const norm = clipGradNorm(
      this.groups.map((g) => g.grads),
      this.options.gradClip,
    );
    this.groups.forEach((g, i) => {
      this.optimizers[i].step(g.params, g.grads, lr);
    });
    return norm;
  }

  /** The first group's optimizer: the moments a checkpoint saves for a one-group trainer. */
  get optimizer(): AdamW {
    return this.optimizers[0];
  }
}
