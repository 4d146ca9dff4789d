// Every estimator, declared once: its name, whether it compares pairs through a judge or scores
// responses alone, the judge calls it makes on a group, and how it turns a group into advantages.
// Every list of names (the config's enum, the service's body schema, the call caps, the checks
// that a scalar scorer exists) is derived from ESTIMATOR_SPECS. Adding an estimator is one entry.
import type { PairwiseJudge } from "../../judge/types.ts";
import { allPairs } from "./all-pairs.ts";
import { type BrpoOptions, brpo, brpoJudgeCalls } from "./brpo.ts";
import { scalarAdvantages } from "./scalar.ts";
import type { Group, GroupAdvantages } from "./types.ts";

/** Scores one response on its own, for the scalar estimators. Null means the scorer failed. */
export type ScalarScorer = (prompt: string, response: string) => Promise<number | null> | number | null;

export interface EstimateOptions extends BrpoOptions {
  estimator: EstimatorName;
  scorer?: ScalarScorer;
}

export interface EstimatorSpec {
  /** "pairwise": compares responses through a judge; "scalar": scores each alone (a scorer). */
  kind: "pairwise" | "scalar";
  /** Judge calls (one presentation order each, per vote) for a group of n; a scorer call counts one. */
  judgeCalls(n: number, options?: Pick<BrpoOptions, "references" | "subgroupSize">): number;
  estimate(group: Group, judge: PairwiseJudge, options: EstimateOptions): Promise<GroupAdvantages>;
}

/** The scalar estimators share one shape: the scorer's rewards, then their formula. */
function scalar(name: "grpo" | "drgrpo" | "rloo"): EstimatorSpec {
  return {
    kind: "scalar",
    judgeCalls: (n) => n,
    async estimate(group, _judge, options) {
      const scorer = options.scorer;
      if (!scorer) throw new Error(`estimator ${name} needs a scalar scorer (e.g. the rule-based judge)`);
      const rewards = await Promise.all(group.responses.map((r) => scorer(group.prompt, r)));
      return scalarAdvantages(name, rewards);
    },
  };
}

export const ESTIMATOR_SPECS = {
  brpo: {
    kind: "pairwise",
    judgeCalls: brpoJudgeCalls,
    estimate: (group, judge, options) => brpo(group, judge, options),
  },
  grpo: scalar("grpo"),
  drgrpo: scalar("drgrpo"),
  rloo: scalar("rloo"),
  "all-pairs": {
    kind: "pairwise",
    judgeCalls: (n) => n * (n - 1),
    estimate: (group, judge) => allPairs(group, judge),
  },
} satisfies Record<string, EstimatorSpec>;

export type EstimatorName = keyof typeof ESTIMATOR_SPECS;
export const ESTIMATORS = Object.keys(ESTIMATOR_SPECS) as [EstimatorName, ...EstimatorName[]];

/** Whether the estimator scores responses alone (it needs a scalar scorer, not a pairwise judge). */
export function isScalarEstimator(name: string): boolean {
  return (ESTIMATOR_SPECS as Record<string, EstimatorSpec>)[name]?.kind === "scalar";
}

/** Judge calls one group of n makes under the estimator (per vote). */
export function judgeCallsFor(
  name: string,
  n: number,
  options?: Pick<BrpoOptions, "references" | "subgroupSize">,
): number {
  const spec = (ESTIMATOR_SPECS as Record<string, EstimatorSpec>)[name] ?? ESTIMATOR_SPECS.brpo;
  return spec.judgeCalls(n, options);
}

export function estimateGroup(
  group: Group,
  judge: PairwiseJudge,
  options: EstimateOptions,
): Promise<GroupAdvantages> {
  return (ESTIMATOR_SPECS[options.estimator] as EstimatorSpec).estimate(group, judge, options);
}

export type { Group, GroupAdvantages } from "./types.ts";
