// AdamW with decoupled weight decay over flat buffers, global-norm gradient clipping, and
// learning-rate schedules. One loop over one buffer each, thanks to the flat parameter layout.
import type { FloatArray } from "./kernels/types.ts";
import type { TensorSpec } from "./params.ts";

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Adam's constants wherever a trainer does not set them (a remote trainer sends the same). */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.95, eps: 1e-8 } as const;

export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** 1 where weight decay applies (matrices), 0 for norms: decay on gains pulls them to zero. */
  private readonly decayMask: Uint8Array;

  constructor(
    specs: TensorSpec[],
    size: number,
    options: AdamWOptions,
    /** Restrict updates to these tensors (e.g. LoRA adapters); all when omitted. */
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.beta1 = options.beta1 ?? ADAM_DEFAULTS.beta1;
    this.beta2 = options.beta2 ?? ADAM_DEFAULTS.beta2;
    this.eps = options.eps ?? ADAM_DEFAULTS.eps;
    this.weightDecay = options.weightDecay ?? 0;
    this.decayMask = new Uint8Array(size);
    for (const s of specs) if (s.shape.length >= 2) this.decayMask.fill(1, s.offset, s.offset + s.size);
  }

  step(params: FloatArray, grads: FloatArray, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd, m, v } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const update = m[i] / c1 / (Math.sqrt(v[i] / c2) + eps);
      params[i] -= lr * (update + (this.decayMask[i] ? wd * params[i] : 0));
    }
  }

  state(): { t: number; m: Float32Array; v: Float32Array } {
    return { t: this.t, m: this.m, v: this.v };
  }

  load(state: { t: number; m: ArrayLike<number>; v: ArrayLike<number> }): void {
    this.t = state.t;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}

/**
 * Scales gradients in place so that their global L2 norm (over every buffer given, in order) is at
 * most maxNorm (0: no clipping); returns the norm before.
 */
export function clipGradNorm(grads: FloatArray | FloatArray[], maxNorm: number): number {
  const buffers = Array.isArray(grads) ? grads : [grads];
  let ss = 0;
  for (const g of buffers) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-12);
    for (const g of buffers) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return norm;
}

export type Schedule =
  | { kind: "constant" }
  | { kind: "cosine"; warmupSteps: number; totalSteps: number; minRatio?: number };

/** Learning rate at optimizer step `step` (0-based). */
export function learningRate(base: number, schedule: Schedule, step: number): number {
  if (schedule.kind === "constant") return base;
  const { warmupSteps, totalSteps } = schedule;
  const minRatio = schedule.minRatio ?? 0.1;
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return base * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
