// The contrast experiment's config (`wz experiment FILE`): one base model, labelled pairs from a
// labelling model, the reward models trained on them, and arms that each run `wz train` from the
// same base on the same prompts for the same steps and seeds. Every arm's own `wz train` config is
// built from this file and validated before anything runs.
import { z } from "zod";
import { type JudgeKind, judgeKindError } from "../judges/index.ts";
import { TrainConfigSchema } from "../writing-rl/config.ts";
import { TrainedGenRMSchema } from "../writing-rl/trained-judge-config.ts";

const LabellerSchema = z
  .object({
    /** Probability of flipping the gold's label on a pair it separates clearly. */
    noise: z.number().min(0).max(1).default(0.05),
    /** Gold gaps (points of 10) below which a rater sees no real difference. */
    tie_margin: z.number().nonnegative().default(1),
    /** In a near tie, probability of preferring the response that explains itself. */
    explain_bias: z.number().min(0).max(1).default(0),
    /** In a near tie, probability of preferring the longer response. */
    length_bias: z.number().min(0).max(1).default(0),
  })
  .strict();

/**
 * The judges an arm can train against, each a kind of the registry: the rule judge as configured,
 * and the two learned from the labellers' pairs (the experiment trains them). A kind added to the
 * registry is not an arm until the experiment knows how to make it.
 */
export const ARM_JUDGES = {
  rm: "scalar RM",
  genrm: "trained GenRM",
  rules: "rule judge",
} as const satisfies Partial<Record<JudgeKind, string>>;
const ARM_JUDGE_NAMES = Object.keys(ARM_JUDGES) as [keyof typeof ARM_JUDGES, ...(keyof typeof ARM_JUDGES)[]];

const ArmSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
    /** rm: the scalar reward model; genrm: the trained pairwise GenRM; rules: the rule-based judge. */
    judge: z.enum(ARM_JUDGE_NAMES, { error: judgeKindError }),
    /** Which labeller's pairs trained the judge (rm and genrm only). */
    labels: z.string().optional(),
    /** Overrides of the shared estimator block, e.g. {name: grpo}. */
    estimator: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const ExperimentConfigSchema = z
  .object({
    output: z.string().default("runs/experiment"),
    /** Each arm runs once per seed; the seed changes sampling and updates, not the prompts. */
    seeds: z.array(z.number().int()).min(1).default([1, 2, 3]),
    /** The base every arm and every reward model starts from (the main job's model block). */
    model: TrainConfigSchema.shape.model,
    labellers: z.record(z.string().regex(/^[a-z0-9-]+$/), LabellerSchema),
    pairs: z
      .object({
        /** Rated pairs for training both reward models (the GenRM keeps rl_count of them for RLVR). */
        train_count: z.number().int().positive().default(2000),
        /** Held-out pairs on unseen prompts, labelled by the gold: each judge's honest accuracy. */
        eval_count: z.number().int().positive().default(200),
        /**
         * Further training pairs of the base model's own samples (two per prompt, sampled as the
         * arms' rollouts are), rated by the same labeller: the policy's near misses, which the
         * constructed kinds do not cover. 0: none.
         */
        on_policy: z.number().int().nonnegative().default(0),
        /** Held-out pairs of the base model's samples on unseen prompts, labelled by the gold (ties left out). */
        eval_on_policy: z.number().int().nonnegative().default(0),
        seed: z.number().int().default(1),
      })
      .strict()
      .default({ train_count: 2000, eval_count: 200, on_policy: 0, eval_on_policy: 0, seed: 1 }),
    prompts: z
      .object({
        train_count: z.number().int().positive().default(96),
        eval_count: z.number().int().positive().default(48),
        seed: z.number().int().default(1),
      })
      .strict()
      .default({ train_count: 96, eval_count: 48, seed: 1 }),
    /** wz train-rm's train block. */
    reward_model: z.record(z.string(), z.unknown()).default({}),
    /** wz genrm train's blocks (sft, rl, reward, eval, template, data.rl_count). */
    genrm: z.record(z.string(), z.unknown()).default({}),
    /**
     * The main job's GenRM recipe (wz train's genrm block, without its raters: those are the
     * labeller the genrm arms name). With it, each seed trains its own GenRM as the main job does
     * (cached by its inputs, so the main job's seed shares it), and the scalar RMs learn from that
     * seed's rated pairs, on the GenRM's base; pairs, eval_count and genrm are then unused.
     */
    trained_genrm: TrainedGenRMSchema.omit({ raters: true }).optional(),
    /** The GenRM as a judge in the arms: wz train's judge fields besides kind and gguf. */
    genrm_judge: z.record(z.string(), z.unknown()).default({}),
    /** The rule-based judge of the rules arms: wz train's judge block. */
    rules_judge: z.record(z.string(), z.unknown()).default({ kind: "rules" }),
    /** Shared by every arm: wz train's estimator, rollout, train and eval blocks. */
    estimator: z.record(z.string(), z.unknown()).default({}),
    rollout: z.record(z.string(), z.unknown()).default({}),
    train: z.record(z.string(), z.unknown()).default({}),
    eval: z.record(z.string(), z.unknown()).default({}),
    arms: z.array(ArmSchema).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const genrmLabels = new Set(c.arms.filter((a) => a.judge === "genrm").map((a) => a.labels));
    if (c.trained_genrm && genrmLabels.size !== 1)
      ctx.addIssue({
        code: "custom",
        path: ["trained_genrm"],
        message: `the trained GenRM has one set of raters: the genrm arms must name one labeller between them (have: ${[...genrmLabels].join(", ") || "no genrm arm"})`,
      });
    const names = new Set<string>();
    c.arms.forEach((a, i) => {
      if (names.has(a.name))
        ctx.addIssue({ code: "custom", path: ["arms", i, "name"], message: `duplicate arm "${a.name}"` });
      names.add(a.name);
      if (a.judge !== "rules" && !a.labels)
        ctx.addIssue({
          code: "custom",
          path: ["arms", i, "labels"],
          message: `arm "${a.name}" trains its ${a.judge} judge on some labeller's pairs: name one`,
        });
      if (a.labels && !c.labellers[a.labels])
        ctx.addIssue({
          code: "custom",
          path: ["arms", i, "labels"],
          message: `no labeller "${a.labels}" (have: ${Object.keys(c.labellers).join(", ")})`,
        });
    });
  });

export type ExperimentConfig = z.infer<typeof ExperimentConfigSchema>;
export type Arm = ExperimentConfig["arms"][number];
export type LabellerBlock = ExperimentConfig["labellers"][string];
