// wz train's config: one YAML file, validated with zod, assembled from the blocks that their own
// layers export (the model, the judge, the estimator, the loop's rollout and update). Unknown keys
// and wrong types are errors that name the key; every option has a default; the resolved config is
// saved in the run.
import { z } from "zod";
import { parseYamlConfig } from "../../data/config-file.ts";
import { RolloutConfigSchema, UpdateConfigSchema } from "../../rl/config.ts";
import { EstimatorConfigSchema } from "../../rl/estimators/config.ts";
import { checkJudge, JudgeConfigSchema } from "../judges/config.ts";
import { ModelBlockSchema } from "../model-block.ts";
import { remoteConflicts, TrainerBlockSchema } from "../trainer-block.ts";
import { TrainedGenRMSchema } from "./trained-judge-config.ts";

export const TrainConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    output: z.string().default("runs/run"),
    model: ModelBlockSchema.prefault({}),
    data: z
      .object({
        /** "tiny": generated constrained-writing prompts; otherwise a JSONL file of {id, prompt}. */
        prompts: z.string().default("tiny"),
        /** Held-out prompts for the final evaluation; without it, the last eval_count prompts of the file are held out. */
        eval_prompts: z.string().optional(),
        train_count: z.number().int().positive().default(96),
        eval_count: z.number().int().positive().default(48),
      })
      .strict()
      .prefault({}),
    judge: JudgeConfigSchema.prefault({}),
    /**
     * The GenRM this run trains first (Writing-Zero's first half: rated pairs, critiques, SFT,
     * RLVR), cached by its inputs; it becomes judge.gguf. Needs judge.kind genrm and no judge.gguf
     * or judge.base_url.
     */
    genrm: TrainedGenRMSchema.optional(),
    estimator: EstimatorConfigSchema.prefault({}),
    rollout: RolloutConfigSchema.prefault({}),
    train: UpdateConfigSchema.prefault({}),
    /** Where the policy is trained and sampled: the embedded engine, or a Tinker-compatible service. */
    trainer: TrainerBlockSchema,
    eval: z
      .object({
        /**
         * The judge of every figure that claims the policy got better. "auto": the tiny world's
         * gold for tiny prompts, else the training judge (with a warning: not evidence);
         * "gold": the tiny world's gold; "training": the training judge; or a judge block.
         */
        judge: z.union([z.enum(["auto", "gold", "training"]), JudgeConfigSchema]).default("auto"),
        samples_per_prompt: z.number().int().positive().default(4),
        temperature: z.number().positive().default(1),
        /** Grade the step's rollouts with the evaluation judge every k steps (0: never). */
        monitor_every: z.number().int().nonnegative().default(5),
        /** Warn when, over this many monitored steps, the training figure rises and the evaluation's falls. */
        warn_window: z.number().int().min(2).default(6),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

export function parseTrainConfig(source: string, origin = "config"): TrainConfig {
  const cfg = parseYamlConfig(TrainConfigSchema, source, origin);
  if (cfg.genrm) {
    if (cfg.judge.kind !== "genrm" || cfg.judge.gguf || cfg.judge.base_url)
      throw new Error(
        `${origin}: genrm: a GenRM trained by the run is the judge: set judge.kind to genrm, without judge.gguf or judge.base_url`,
      );
  } else checkJudge(cfg.judge, origin);
  if (typeof cfg.eval.judge === "object") checkJudge(cfg.eval.judge, `${origin}: eval`);
  const conflict = cfg.trainer.kind === "tinker" ? remoteConflicts(cfg) : null;
  if (conflict)
    throw new Error(`${origin}: trainer.kind tinker: ${conflict} is the local trainer's option; remove it`);
  if (cfg.model.tiny.heads % cfg.model.tiny.kv_heads !== 0) {
    throw new Error(`${origin}: model.tiny.heads must be a multiple of model.tiny.kv_heads`);
  }
  return cfg;
}
