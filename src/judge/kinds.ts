// The kinds of judge a config or a flag can name, declared once: the config schemas, the
// experiment's arms and the CLI's --judge all derive their choices from this list. How each kind
// is built lives in src/setup/judge.ts (composition); what it is lives here. Pure.
export const JUDGE_KINDS = {
  rules: "the rule-based pairwise judge: the request's explicit constraints and general checks",
  genrm: "a pairwise generative reward model: on an OpenAI-compatible server or a local GGUF",
  rm: "a scalar reward model: a folder written by wz train-rm, or vLLM's pooling API",
} as const;

export type JudgeKind = keyof typeof JUDGE_KINDS;
export const JUDGE_KIND_NAMES = Object.keys(JUDGE_KINDS) as [JudgeKind, ...JudgeKind[]];

export function isJudgeKind(name: string): name is JudgeKind {
  return Object.hasOwn(JUDGE_KINDS, name);
}
