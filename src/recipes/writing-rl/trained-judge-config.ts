// The main job's genrm block: the GenRM a wz train run trains before its policy (trained-judge.ts),
// the GenRM recipe's own blocks plus where its pairs come from. Validated with zod; errors name
// the key.
import { z } from "zod";
import { GenRMConfigSchema } from "../genrm/config.ts";

/** Bump when the recipe below changes what a cached judge would be. */
export const TRAINED_GENRM_VERSION = "wz-main-genrm-v4";

export const TrainedGenRMSchema = GenRMConfigSchema.omit({ seed: true, output: true, data: true })
  .extend({
    /** Trained judges, one folder per content hash of their inputs (delete it to retrain). */
    cache: z.string().default(".wz-cache/genrm"),
    /** The raters who label the training pairs (tiny-labeller.ts); the gold labels none of them. */
    raters: z
      .object({
        noise: z.number().min(0).max(0.5).default(0.05),
        tie_margin: z.number().nonnegative().default(1),
        explain_bias: z.number().min(0).max(1).default(0.7),
        length_bias: z.number().min(0).max(1).default(0.7),
      })
      .strict()
      .prefault({}),
    pairs: z
      .object({
        /** Constructed pairs (tiny-judge-data.ts kinds) on the pretraining and RL prompt splits. */
        constructed: z.number().int().nonnegative().default(2000),
        /** Pairs of the policy base's own two samples of a pretraining-split prompt. */
        on_policy: z.number().int().nonnegative().default(1000),
        minimal_share: z.number().min(0).max(1).default(0.33),
        taste_share: z.number().min(0).max(1).default(0.25),
        /** Share of composed pairs: 1-3 sentences, any word limit, facts in any place (tiny-judge-data.ts). */
        composed_share: z.number().min(0).max(1).default(0),
        /** Of the training pairs, kept back from SFT for RLVR. */
        rl_count: z.number().int().nonnegative().default(400),
        /** Held out, for the log only: independently built pairs of each kind (independent-pairs.ts). */
        held_out_per_kind: z.number().int().nonnegative().default(20),
        /** Held out: pairs of the base's samples of held-out prompts, labelled by the gold. */
        held_out_on_policy: z.number().int().nonnegative().default(100),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type TrainedGenRMConfig = z.infer<typeof TrainedGenRMSchema>;
