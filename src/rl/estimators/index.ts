// One entry point for every estimator, by name.
import type { PairwiseJudge } from "../../judge/types.ts";
import { allPairs } from "./all-pairs.ts";
import { type BrpoOptions, brpo } from "./brpo.ts";
import { type ScalarEstimator, scalarAdvantages } from "./scalar.ts";
import type { Group, GroupAdvantages } from "./types.ts";

export const ESTIMATORS = ["brpo", "grpo", "drgrpo", "rloo", "all-pairs"] as const;
export type EstimatorName = (typeof ESTIMATORS)[number];

/** Scores one response on its own, for the scalar estimators. Null means the scorer failed. */
export type ScalarScorer = (prompt: string, response: string) => Promise<number | null> | number | null;

export interface EstimateOptions extends BrpoOptions {
  estimator: EstimatorName;
  scorer?: ScalarScorer;
}

export async function estimateGroup(
  group: Group,
  judge: PairwiseJudge,
  options: EstimateOptions,
): Promise<GroupAdvantages> {
  switch (options.estimator) {
    case "brpo":
      return brpo(group, judge, options);
    case "all-pairs":
      return allPairs(group, judge);
    default: {
      const scorer = options.scorer;
      if (!scorer)
        throw new Error(`estimator ${options.estimator} needs a scalar scorer (e.g. the rule-based judge)`);
      const rewards = await Promise.all(group.responses.map((r) => scorer(group.prompt, r)));
      return scalarAdvantages(options.estimator as ScalarEstimator, rewards);
    }
  }
}

export type { Group, GroupAdvantages } from "./types.ts";
