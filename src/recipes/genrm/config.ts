// wz genrm train's config: the pairs, the template, cold-start SFT, RLVR (the loop's blocks) and
// the reward, validated with zod; errors name the file and the key.
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, parseYamlConfig } from "../../data/config-file.ts";
import { DEFAULT_GENRM_REWARD } from "../../judge/genrm-reward.ts";
import { TEMPLATE_NAMES } from "../../judge/template.ts";
import { LoraConfigSchema } from "../../model/lora.ts";
import { CRITIQUE_STYLES } from "../../world/tiny-teacher.ts";
import { ModelBlockSchema } from "../model-block.ts";
import { TrainerBlockSchema } from "../trainer-block.ts";

export const GenRMConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    output: z.string().default("runs/genrm"),
    /** The judge's starting model: "tiny" (the tiny writer base) or a Hugging Face folder. */
    model: ModelBlockSchema.prefault({}),
    data: z
      .object({
        /** "tiny": generated, gold-labelled pairs; otherwise a labelled pairs file (ours, LitBench, RewardBench). */
        pairs: z.string().default("tiny"),
        /** Held-out pairs; without it, tiny draws them from prompts no stage saw, a file holds out its last eval_count. */
        eval_pairs: z.string().optional(),
        train_count: z.number().int().positive().default(1200),
        eval_count: z.number().int().positive().default(200),
        /** Of the training pairs, how many are kept back from SFT for RLVR. */
        rl_count: z.number().int().nonnegative().default(400),
        /**
         * tiny: the prompt splits the training pairs come from. The held-out pairs always come from
         * "eval", whose topic/word combinations no other split has; "train" is the policy's RL split.
         */
        splits: z
          .array(z.enum(["pretrain", "train"]))
          .nonempty()
          .default(["pretrain"]),
        /** tiny: share of training pairs that are minimal pairs (one fact changed; tiny-judge-data.ts). */
        minimal_share: z.number().min(0).max(1).default(0),
        /** tiny: share of training pairs that differ only in taste (the word in or out of its mood). */
        taste_share: z.number().min(0).max(1).default(0),
        /** tiny: share of composed training pairs (1-3 sentences, any word limit, facts in any place). */
        composed_share: z.number().min(0).max(1).default(0),
        /** tiny: share of the held-out pairs that differ only in taste (reported as their own kind). */
        eval_taste_share: z.number().min(0).max(1).default(0),
      })
      .strict()
      .prefault({}),
    template: z.enum(TEMPLATE_NAMES).default("compact"),
    teacher: z.literal("tiny").default("tiny"),
    /** How the teacher writes its critiques: every check named, or only the failing ones (a third of the tokens). */
    critique: z.enum(CRITIQUE_STYLES).default("detailed"),
    /**
     * The teacher's taste: its own lexicon ("own"), or revised on the training pairs' labels first
     * ("revised": the moods that agree with most pairs that differ in taste only; tiny-teacher.ts).
     */
    teacher_taste: z.enum(["own", "revised"]).default("own"),
    /**
     * The RLVR pairs: every one kept back ("all"), or only those whose label the teacher's critique
     * explains in both orders ("teacher_agrees"), as the SFT traces are kept: RLVR then does not
     * reward the raters' leanings (length, self-explanation) or their careless flips.
     */
    rl_pairs: z.enum(["all", "teacher_agrees"]).default("all"),
    sft: z
      .object({
        steps: z.number().int().positive().default(600),
        lr: z.number().positive().default(0.002),
        batch_size: z.number().int().positive().default(16),
      })
      .strict()
      .default({ steps: 600, lr: 0.002, batch_size: 16 }),
    rl: z
      .object({
        rollout: z.record(z.string(), z.unknown()).default({}),
        train: z.record(z.string(), z.unknown()).default({}),
        estimator: z.record(z.string(), z.unknown()).default({}),
        /** Train LoRA adapters on the frozen SFT judge instead of every weight. */
        lora: LoraConfigSchema.optional(),
      })
      .strict()
      .default({ rollout: {}, train: {}, estimator: {} }),
    reward: z
      .object({
        format_penalty: z.number().default(DEFAULT_GENRM_REWARD.formatPenalty),
        tie: z.number().default(DEFAULT_GENRM_REWARD.tie),
        margin_bonus: z.number().nonnegative().default(DEFAULT_GENRM_REWARD.marginBonus),
        margin_scale: z.number().positive().default(DEFAULT_GENRM_REWARD.marginScale),
      })
      .strict()
      .default({ format_penalty: -1, tie: -0.5, margin_bonus: 0.5, margin_scale: 5 }),
    /** Where the judge is trained (SFT and RLVR): the embedded engine, or a Tinker-compatible service. */
    trainer: TrainerBlockSchema,
    eval: z
      .object({
        max_tokens: z.number().int().positive().default(200),
        /** Also measure the SFT-only judge on the held-out pairs (the RLVR judge always is). */
        sft_only: z.boolean().default(true),
      })
      .strict()
      .default({ max_tokens: 200, sft_only: true }),
  })
  .strict();

export type GenRMConfig = z.infer<typeof GenRMConfigSchema>;

export function parseGenRMConfig(path: string): GenRMConfig {
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
  try {
    const cfg = parseYamlConfig(GenRMConfigSchema, readFileSync(path, "utf8"), path);
    if (cfg.trainer.kind === "tinker" && cfg.rl.lora)
      throw new Error(
        `${path}: trainer.kind tinker: rl.lora is the local trainer's option (a remote trainer's LoRA is trainer.lora_rank); remove it`,
      );
    return cfg;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}
