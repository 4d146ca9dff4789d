// The rule-based pairwise judge: the request's explicit constraints and general checks, and
// optionally the plausibility principle under a frozen model. Deterministic; also a scalar scorer.
import { existsSync } from "node:fs";
import { plausibilityCheck } from "../../judge/plausibility.ts";
import { RuleJudge } from "../../judge/rule-judge.ts";
import { loadModelFolder } from "../../model/checkpoint.ts";
import type { BuiltJudge, JudgeKindSpec, JudgeSpec } from "./spec.ts";

function build(spec: JudgeSpec): BuiltJudge {
  const extra = [];
  if (spec.plausibility) {
    const { model: dir, ...options } = spec.plausibility;
    if (!dir) throw new Error("judge.plausibility needs a model folder (judge.plausibility.model)");
    if (!existsSync(dir)) throw new Error(`judge.plausibility.model: ${dir} does not exist`);
    const { model, tokenizer } = loadModelFolder(dir, spec.kernel);
    if (!tokenizer) throw new Error(`judge.plausibility.model: ${dir} has no tokenizer.json`);
    extra.push(plausibilityCheck(model, tokenizer, options));
  }
  const judge = new RuleJudge(extra);
  return {
    judge,
    scorer: (p, r) => judge.scoreAsync(p, r),
    close() {},
    describe: () =>
      spec.plausibility
        ? `${judge.name} (plausibility under ${spec.plausibility.model}, weight ${spec.plausibility.weight}, threshold ${spec.plausibility.threshold})`
        : judge.name,
  };
}

export const rulesJudge: JudgeKindSpec = {
  name: "rules",
  description: "the rule-based pairwise judge: the request's explicit constraints and general checks",
  check: () => null,
  build,
};
