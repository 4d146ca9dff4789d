// A config's estimator block: which estimator turns a group into advantages, and BRPO's options.
import { z } from "zod";
import { ESTIMATORS } from "./index.ts";

export const EstimatorConfigSchema = z
  .object({
    name: z.enum(ESTIMATORS).default("brpo"),
    skew_threshold: z.number().positive().default(0.6),
    tie: z.union([z.literal(-1), z.literal(0)]).default(-1),
    inconsistent: z.union([z.literal(-1), z.literal(0)]).default(-1),
    references: z.number().int().positive().default(1),
    subgroup_size: z.number().int().min(2).optional(),
  })
  .strict();
export type EstimatorConfig = z.infer<typeof EstimatorConfigSchema>;
