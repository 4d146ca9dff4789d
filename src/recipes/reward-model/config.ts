// wz train-rm's config: the base, the labelled pairs and the Bradley-Terry training.
import { z } from "zod";
import { parseYamlConfig } from "../../data/config-file.ts";
import { ModelBlockSchema } from "../model-block.ts";

export const RmConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    output: z.string().default("runs/rm"),
    model: ModelBlockSchema.prefault({}),
    data: z
      .object({
        pairs: z.string().default("tiny"),
        eval_pairs: z.string().optional(),
        train_count: z.number().int().positive().default(2000),
        eval_count: z.number().int().positive().default(200),
      })
      .strict()
      .prefault({}),
    train: z
      .object({
        steps: z.number().int().positive().default(300),
        batch_size: z.number().int().positive().default(8),
        lr: z.number().positive().default(1e-3),
        weight_decay: z.number().nonnegative().default(0),
        grad_clip: z.number().nonnegative().default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type RmConfig = z.infer<typeof RmConfigSchema>;

export function parseRmConfig(source: string, origin: string): RmConfig {
  return parseYamlConfig(RmConfigSchema, source, origin);
}
