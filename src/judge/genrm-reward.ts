// The verifiable reward for training a pairwise GenRM (RLVR), scoring one judge rollout on a
// labelled pair shown in one order. Pure. The paper names the parts (format, accuracy, margin,
// position-bias weighting) but not the formulas; these are ours, explained in
// docs/genrm-training.md. Bump the version when a formula changes: every run records it.

import type { FinishReason } from "../llm/types.ts";
import type { TemplateName } from "./template.ts";
import { parseVerdict } from "./verdict-parser.ts";

export const GENRM_REWARD_VERSION = "wz-genrm-reward-v1";

export interface GenRMRewardOptions {
  /** Reward of a reply whose verdict does not parse under the template's rules (default -1). */
  formatPenalty: number;
  /** Accuracy term of a tie: not a correct preference, less wrong than the wrong one (default -0.5). */
  tie: number;
  /** Largest margin bonus or cost (default 0.5). */
  marginBonus: number;
  /** A score difference of this much or more earns the whole margin term (default 5 points of 10). */
  marginScale: number;
  /** Bounds of the position-bias weight (default 0.5 and 2). */
  minWeight: number;
  maxWeight: number;
}

export const DEFAULT_GENRM_REWARD: GenRMRewardOptions = {
  formatPenalty: -1,
  tie: -0.5,
  marginBonus: 0.5,
  marginScale: 5,
  minWeight: 0.5,
  maxWeight: 2,
};

export interface GenRMRewardInput {
  reply: string;
  finishReason?: FinishReason;
  /** Which shown position holds the preferred response. */
  preferred: "first" | "second";
  template: TemplateName;
  /** Running share of decisive verdicts that picked the first position; null before any. */
  firstPositionRate: number | null;
}

export interface GenRMReward {
  reward: number;
  format: boolean;
  formatError: string | null;
  /** The side the verdict picked, or tie; null when the format failed. */
  picked: "first" | "second" | "tie" | null;
  correct: boolean;
  accuracy: number;
  margin: number;
  weight: number;
  scores: [number, number] | null;
}

/**
 * Stricter than "a box exists": the reply ends with exactly one \boxed{x, y} on its own last line;
 * under the compact template the critique has a line for each response first ("1: ..." and "2: ...").
 */
export function checkFormat(reply: string, template: TemplateName): string | null {
  const lines = reply.trim().split("\n");
  const last = lines[lines.length - 1].trim();
  if ((reply.match(/\\boxed\s*\{/g) ?? []).length !== 1) return "needs exactly one \\boxed{x, y}";
  if (!/^\\boxed\{[^{}]*\}$/.test(last)) return "the \\boxed{x, y} line must be the last line, alone";
  if (template === "compact") {
    const body = lines.slice(0, -1).map((l) => l.trim());
    if (!body.some((l) => l.startsWith("1:")) || !body.some((l) => l.startsWith("2:")))
      return 'the compact critique needs a "1:" line and a "2:" line before the box';
  }
  return null;
}

export function genrmReward(
  input: GenRMRewardInput,
  o: GenRMRewardOptions = DEFAULT_GENRM_REWARD,
): GenRMReward {
  return weighForPosition(assessReply(input, o), input.firstPositionRate, o);
}

/**
 * Everything but the position-bias weight (weight 1): the part that depends on the reply alone,
 * so a caller that needs the batch's first-position rate first parses each reply once.
 */
export function assessReply(
  input: Omit<GenRMRewardInput, "firstPositionRate">,
  o: GenRMRewardOptions = DEFAULT_GENRM_REWARD,
): GenRMReward {
  const failed = (formatError: string): GenRMReward => ({
    reward: o.formatPenalty,
    format: false,
    formatError,
    picked: null,
    correct: false,
    accuracy: 0,
    margin: 0,
    weight: 1,
    scores: null,
  });
  const parsed = parseVerdict(input.reply, input.finishReason ?? "stop");
  if (!parsed.ok) return failed(`${parsed.error}: ${parsed.detail}`);
  const structure = checkFormat(input.reply, input.template);
  if (structure) return failed(structure);
  const d = parsed.first - parsed.second;
  const picked = d > 0 ? "first" : d < 0 ? "second" : "tie";
  const correct = picked === input.preferred;
  const accuracy = picked === "tie" ? o.tie : correct ? 1 : -1;
  // Confidence earns (or costs) up to marginBonus, in proportion to the score gap.
  const size = (o.marginBonus * Math.min(Math.abs(d), o.marginScale)) / o.marginScale;
  const margin = picked === "tie" ? 0 : correct ? size : -size;
  return {
    reward: accuracy + margin,
    format: true,
    formatError: null,
    picked,
    correct,
    accuracy,
    margin,
    weight: 1,
    scores: [parsed.first, parsed.second],
  };
}

/**
 * Position bias: a correct verdict for the side the judge already over-picks earns less, for the
 * under-picked side more, so the credit of the two orders balances (weight 0.5 / rate of that side).
 */
export function weighForPosition(
  r: GenRMReward,
  firstPositionRate: number | null,
  o: GenRMRewardOptions = DEFAULT_GENRM_REWARD,
): GenRMReward {
  if (!r.correct || firstPositionRate === null) return r;
  const rate = r.picked === "first" ? firstPositionRate : 1 - firstPositionRate;
  const weight = rate <= 0 ? o.maxWeight : Math.min(o.maxWeight, Math.max(o.minWeight, 0.5 / rate));
  return { ...r, weight, reward: weight * (r.accuracy + r.margin) };
}

/** Share of decisive verdicts (first or second) that picked the first position; null when none. */
export function firstPositionShare(replies: GenRMReward[]): number | null {
  const decisive = replies.filter((r) => r.picked === "first" || r.picked === "second");
  return decisive.length ? decisive.filter((r) => r.picked === "first").length / decisive.length : null;
}
