// The writing task: responses to a writing request, rewarded by a pairwise judge through an
// estimator (BRPO by default: each member against a random member of its own group), or by a
// scalar scorer through GRPO, Dr.GRPO or RLOO.
import type { PairwiseJudge } from "../judge/types.ts";
import type { EstimatorConfig } from "./config.ts";
import { type EstimatorName, estimateGroup, type ScalarScorer } from "./estimators/index.ts";
import type { Task } from "./task.ts";

export function writingTask(o: {
  judge: PairwiseJudge;
  scorer?: ScalarScorer;
  estimator: EstimatorConfig;
  seed: number;
}): Task {
  const e = o.estimator;
  return {
    name: `writing: ${e.name} with ${o.judge.name}`,
    scoreGroup(prompt, responses, at) {
      return estimateGroup({ prompt: prompt.prompt, responses }, o.judge, {
        estimator: e.name as EstimatorName,
        seed: o.seed,
        step: at.step,
        groupId: at.group,
        skewThreshold: e.skew_threshold,
        tie: e.tie,
        inconsistent: e.inconsistent,
        references: e.references,
        subgroupSize: e.subgroup_size,
        scorer: o.scorer,
      });
    },
    proxyScore: o.scorer ? async (prompt, response) => o.scorer!(prompt.prompt, response) : undefined,
  };
}
