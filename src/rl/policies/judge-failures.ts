// A judge that fails most comparisons trains nothing (every failed member is masked): say so at
// once with the failure kinds and a raw reply, and stop after a few such steps in a row.
import type { UpdateConfig } from "../config.ts";
import { judgeFailureReport } from "../metrics.ts";
import type { StepPolicy } from "./types.ts";

export function stopOnJudgeFailures(train: UpdateConfig): StepPolicy {
  let failingSteps = 0;
  return {
    name: "judge-failures",
    afterStep(step, metrics, estimates) {
      const warnings: string[] = [];
      const failure = judgeFailureReport(estimates);
      if (
        failure &&
        metrics.judge_failure_rate != null &&
        metrics.judge_failure_rate > train.judge_failure_threshold
      ) {
        failingSteps++;
        if (failingSteps === 1)
          warnings.push(
            `warning: the judge failed ${(100 * metrics.judge_failure_rate).toFixed(0)}% of comparisons at step ${step + 1} (${failure.kinds}); one reply: ${JSON.stringify(failure.sample)}`,
          );
      } else failingSteps = 0;
      if (train.max_failing_steps > 0 && failingSteps >= train.max_failing_steps)
        return {
          warnings,
          stop: `the judge failed more than ${(100 * train.judge_failure_threshold).toFixed(0)}% of comparisons for ${failingSteps} consecutive steps (${failure?.kinds}); fix the judge, then continue with --resume`,
        };
      return { warnings };
    },
  };
}
