// A local judge cut short by its token limit still answers (a grammar writes the last line), but
// from half a critique: say so once, with the limit to raise.
import type { StepPolicy } from "./types.ts";

export function warnOnCutCritiques(maxTokens: number, share = 0.1): StepPolicy {
  let warned = false;
  return {
    name: "judge-cut",
    afterStep(step, metrics) {
      if (warned || metrics.judge_cut_rate == null || metrics.judge_cut_rate <= share) return {};
      warned = true;
      return {
        warnings: [
          `warning: ${(100 * metrics.judge_cut_rate).toFixed(0)}% of the judge's critiques at step ${step + 1} hit its token limit and were finished by the grammar; raise judge.max_tokens (now ${maxTokens})`,
        ],
      };
    },
  };
}
