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

export function createJudge(spec: JudgeSpec): BuiltJudge {
  if (!isJudgeKind(spec.kind))
    throw new Error(`judge kind "${spec.kind}": expected one of ${JUDGE_KIND_NAMES.join(", ")}`);
  return (JUDGES[spec.kind] as JudgeKindSpec).build(spec);
}
