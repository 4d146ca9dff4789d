// The writing task: responses to a writing request, rewarded by a pairwise judge through an
// estimator (BRPO by default: each member against a random member of its own group), or by a
// scalar scorer through GRPO, Dr.GRPO or RLOO. Its own figures: the responses' length, their
// self-explanation and the share of the request's explicit constraints they meet.

import { extractConstraints, satisfiedShare } from "../../judge/constraints.ts";
import type { PairwiseJudge } from "../../judge/types.ts";
import type { EstimatorConfig } from "../../rl/estimators/config.ts";
import { type EstimatorName, estimateGroup, type ScalarScorer } from "../../rl/estimators/index.ts";
import type { Metrics } from "../../rl/metrics.ts";
import { figure, groupProgress, type Task } from "../../rl/task.ts";
import { diagnose, mean } from "../../text/diagnostics.ts";

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
    stepMetrics: writingMetrics,
    progress: writingProgress,
  };
}

/** The step's writing figures: length, self-explanation, variety and the request's constraints met. */
export function writingMetrics(prompts: { prompt: string }[], groups: string[][]): Metrics {
  const diag = diagnose(groups.flat());
  return {
    length_words_mean: diag.meanWords,
    length_words_p90: diag.p90Words,
    over_explanation_tokens: diag.overExplanationTokens,
    grader_addressing_rate: diag.graderAddressingRate,
    distinct_2: diag.distinct2,
    constraints_met: mean(
      groups.flatMap((grp, g) => grp.map((r) => satisfiedShare(extractConstraints(prompts[g].prompt), r))),
    ),
  };
}

function writingProgress(m: Metrics): string {
  const f = figure;
  return `${groupProgress(m)} | met ${f(m.constraints_met)} len ${f(m.length_words_mean, 1)}w meta ${f(m.over_explanation_tokens, 1)}`;
}
