// The nouns every judge shares: a condition (one presentation order, one vote), a verdict
// (all conditions of one comparison), and the PairwiseJudge interface BRPO talks to.
import type { SamplingParams, Usage } from "../llm/types.ts";

export type Winner = "a" | "b" | "tie";
export type Outcome = Winner | "inconsistent" | "failed";
export type Order = "ab" | "ba";

export interface Condition {
  /** "ab": response a shown first; "ba": response b shown first. */
  order: Order;
  vote: number;
  /** Scores mapped back to a and b (null when the condition failed). */
  scoreA: number | null;
  scoreB: number | null;
  winner: Winner | null;
  raw: string | null;
  /** Typed failure: a parse error kind or a call error kind. Null on success. */
  error: string | null;
  errorDetail?: string;
  latencyMs: number;
  usage: Usage | null;
  attempts: number;
  cached: boolean;
  /** Judge-specific detail, e.g. the rule-based judge's per-principle results. */
  critique?: unknown;
}

export interface Verdict {
  outcome: Outcome;
  /** Means over successful conditions; null when the verdict failed. */
  scoreA: number | null;
  scoreB: number | null;
  conditions: Condition[];
  templateVersion: string;
  principlesHash: string;
  model: string;
  sampling: SamplingParams | null;
  /** Characters of each response: length must not decide, so it is always on record. */
  lengthA: number;
  lengthB: number;
}

export interface PairwiseJudge {
  /** Identifies the judge in logs and stores, e.g. "genrm:qwen3-8b" or "rules:v1". */
  readonly name: string;
  compare(prompt: string, responseA: string, responseB: string): Promise<Verdict>;
}

export function winnerOf(scoreA: number, scoreB: number): Winner {
  return scoreA > scoreB ? "a" : scoreB > scoreA ? "b" : "tie";
}

/** The voting rule: a or b only if it wins under every condition; tie only if all tie. */
export function decideOutcome(conditions: Condition[]): Outcome {
  if (conditions.length === 0 || conditions.some((c) => c.error !== null || c.winner === null))
    return "failed";
  const first = conditions[0].winner;
  return conditions.every((c) => c.winner === first) ? (first as Winner) : "inconsistent";
}

export function meanScores(conditions: Condition[]): { scoreA: number | null; scoreB: number | null } {
  const ok = conditions.filter((c) => c.scoreA !== null && c.scoreB !== null);
  if (ok.length === 0 || ok.length !== conditions.length) return { scoreA: null, scoreB: null };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { scoreA: mean(ok.map((c) => c.scoreA!)), scoreB: mean(ok.map((c) => c.scoreB!)) };
}
