// The loop's own configuration: how groups are sampled (rollout:) and how the policy is updated
// (train:). A recipe's config holds these blocks among its own; runLoop reads nothing else, so the
// loop knows no task, no judge and no world.
import { z } from "zod";
import { DEFAULT_PACK_MIB } from "../model/packing.ts";

export const RolloutConfigSchema = z
  .object({
    group_size: z.number().int().min(2).default(16),
    prompts_per_step: z.number().int().positive().default(8),
    temperature: z.number().positive().default(1),
    top_p: z.number().positive().max(1).default(1),
    max_tokens: z.number().int().positive().default(48),
    /** Refill groups the task dropped (all rewards equal) from further prompts (DAPO's dynamic sampling). */
    dynamic_sampling: z.boolean().default(false),
    max_refills: z.number().int().nonnegative().default(2),
    /**
     * The weights llama.cpp samples from: f32 (exactly the policy) or f16/q8_0/q4_0/q4_1
     * (faster on a large model, whose f32 matrix-vector products are bound by memory; the
     * trainer still recomputes every log-probability in f32, so the ratio corrects the small
     * mismatch). A LoRA run exports its frozen base once: for a base imported from a Q4_1
     * file, q4_1 gives back the file's own values bit for bit (tested), so nothing is lost.
     */
    sampler_weights: z.enum(["f32", "f16", "q8_0", "q4_0", "q4_1"]).default("f32"),
    /** llama.cpp threads for sampling (1: samples reproducible whatever the core count). */
    sampler_threads: z.number().int().positive().default(1),
    /**
     * Samples of a prompt generated side by side in one llama.cpp batch (the weights read once
     * a step for all of them): much faster sampling for a large model. 1: one after another.
     * The samples of a seed depend on it (batched arithmetic rounds differently), and with
     * more than 1 they also vary from run to run (which samples share a decode depends on
     * timing), so a run is not reproducible.
     */
    sampler_parallel: z.number().int().positive().default(1),
    /**
     * Prompts sampled at once, each in a llama.cpp context of its own on sampler_threads
     * threads (0: one per core). The samples do not depend on it.
     */
    sampler_concurrency: z.number().int().nonnegative().default(0),
  })
  .strict();

export const UpdateConfigSchema = z
  .object({
    steps: z.number().int().positive().default(30),
    lr: z.number().positive().default(1e-3),
    schedule: z.enum(["constant", "cosine"]).default("constant"),
    warmup_steps: z.number().int().nonnegative().default(0),
    weight_decay: z.number().nonnegative().default(0),
    // the ratio is clipped to [1 - clip_low, 1 + clip_high]: clip_low must leave it positive
    clip_low: z
      .number()
      .nonnegative()
      .lt(1, "must be below 1 (the ratio's lower bound is 1 - clip_low)")
      .default(0.2),
    clip_high: z.number().nonnegative().max(10).default(0.28),
    kl_coef: z.number().nonnegative().default(0),
    epochs: z.number().int().positive().default(1),
    minibatches: z.number().int().positive().default(1),
    grad_clip: z.number().nonnegative().default(1),
    /**
     * Activation memory of one packed forward and backward pass, MiB: short sequences share a
     * pass (large matmuls, both cores). 0: one sequence a pass, the arithmetic of releases
     * before packing (the sums of gradients run in another order, so results differ in rounding).
     */
    pack_mib: z.number().nonnegative().default(DEFAULT_PACK_MIB),
    checkpoint_every: z.number().int().positive().default(10),
    /** Stop (resumably) after this many consecutive steps whose judge failure rate exceeds the threshold (0: never). */
    max_failing_steps: z.number().int().nonnegative().default(3),
    judge_failure_threshold: z.number().min(0).max(1).default(0.5),
  })
  .strict();

export type RolloutConfig = z.infer<typeof RolloutConfigSchema>;
export type UpdateConfig = z.infer<typeof UpdateConfigSchema>;

/** What runLoop reads: the seed, the rollout and update blocks, and when the independent monitor grades. */
export interface LoopConfig {
  seed: number;
  rollout: RolloutConfig;
  train: UpdateConfig;
  eval: { monitor_every: number; warn_window: number };
}
