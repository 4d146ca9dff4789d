// What every estimator returns for one group: an advantage per response, which responses are
// masked out of the loss, whether the group was dropped, and everything needed to audit it.
import type { Outcome, Verdict } from "../../judge/types.ts";

export interface Group {
  prompt: string;
  responses: string[];
}

export interface ComparisonRecord {
  /** Index of the response judged as "a". */
  member: number;
  /** Index of the response it was judged against ("b"): the reference in BRPO. */
  against: number;
  outcome: Outcome;
  /** The member's score from this comparison (+1 win, -1 loss, tie/inconsistent per options), null if failed. */
  score: number | null;
  verdict: Verdict;
}

export interface GroupStats {
  size: number;
  /** |sum of advantages| / G before the skew filter. */
  skew: number;
  /** Mean comparison score of judged members (BRPO: 2 x win rate - 1 over non-failed comparisons). */
  meanPreference: number | null;
  winRate: number | null;
  maskedCount: number;
  /** Share of non-failed comparisons whose orders agreed. */
  consistency: number | null;
  failedComparisons: number;
}

export interface GroupAdvantages {
  estimator: string;
  advantages: number[];
  masked: boolean[];
  dropped: boolean;
  /** BRPO's reference(s); empty for scalar estimators and all-pairs. */
  referenceIndices: number[];
  comparisons: ComparisonRecord[];
  /** Scalar rewards used (scalar estimators), null per failed score. */
  rewards?: (number | null)[];
  judgeCalls: number;
  stats: GroupStats;
}

export function judgeCallsOf(comparisons: ComparisonRecord[]): number {
  return comparisons.reduce((s, c) => s + c.verdict.conditions.length, 0);
}

export function comparisonStats(comparisons: ComparisonRecord[]) {
  const ok = comparisons.filter((c) => c.outcome !== "failed");
  const decided = ok.filter((c) => c.score !== null);
  const wins = ok.filter((c) => c.outcome === "a").length;
  return {
    meanPreference: decided.length ? decided.reduce((s, c) => s + c.score!, 0) / decided.length : null,
    winRate: ok.length ? wins / ok.length : null,
    consistency: ok.length ? ok.filter((c) => c.outcome !== "inconsistent").length / ok.length : null,
    failedComparisons: comparisons.length - ok.length,
  };
}
