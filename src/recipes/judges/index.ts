// The judge registry: every kind of judge a config, a flag or an experiment's arm can name,
// declared once as {name, description, check, build}. The config schema's kind enum, the CLI's
// --judge choices and the experiment's arms all derive from JUDGES. Adding a kind is one file and
// one line here.
import { genrmJudge } from "./genrm.ts";
import { rulesJudge } from "./rules.ts";
import { scalarRewardModelJudge } from "./scalar-rm.ts";
import type { BuiltJudge, JudgeKindSpec, JudgeSpec } from "./spec.ts";

export const JUDGES = {
  rules: rulesJudge,
  genrm: genrmJudge,
  rm: scalarRewardModelJudge,
} satisfies Record<string, JudgeKindSpec>;

export type JudgeKind = keyof typeof JUDGES;
export const JUDGE_KIND_NAMES = Object.keys(JUDGES) as [JudgeKind, ...JudgeKind[]];

export function isJudgeKind(name: string): name is JudgeKind {
  return Object.hasOwn(JUDGES, name);
}

/**
 * The tiny world's gold grades policies and is never a training signal: any place a training judge
 * is named ("gold", "gold:wz-tiny-gold-v2") refuses it with this message.
 */
export const GOLD_REFUSAL =
  "the tiny world's gold is evaluation-only and never a training judge (it grades runs through eval.judge: gold)";

export function isGoldName(name: unknown): boolean {
  return typeof name === "string" && /^gold(:|$)/i.test(name.trim());
}

/** A zod error for a judge kind: the gold's refusal, or zod's own message for any other name. */
export const judgeKindError = (issue: { input?: unknown }) =>
  isGoldName(issue.input) ? GOLD_REFUSAL : undefined;

export function createJudge(spec: JudgeSpec): BuiltJudge {
  if (isGoldName(spec.kind)) throw new Error(GOLD_REFUSAL);
  if (!isJudgeKind(spec.kind))
    throw new Error(`judge kind "${spec.kind}": expected one of ${JUDGE_KIND_NAMES.join(", ")}`);
  return (JUDGES[spec.kind] as JudgeKindSpec).build(spec);
}
