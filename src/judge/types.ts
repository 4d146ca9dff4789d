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
  /** The reply's own text hit the token limit; a grammar wrote its final line (see ChatSuccess). */
  cut?: boolean;
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
  /**
   * The judge computes on the calling thread (the rule judge): a server runs its comparisons one
   * at a time, yielding between them, so that other requests are served meanwhile.
   */
  readonly cpuBound?: boolean;
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

/**
 * The verdict of a judge that scores each response on its own (the rule-based judge, the tiny
 * world's gold): both presentation orders carry the same scores, so they agree by construction.
 */
export function scoredVerdict(o: {
  scoreA: number;
  scoreB: number;
  critique: unknown;
  responseA: string;
  responseB: string;
  templateVersion: string;
  principlesHash: string;
  model: string;
}): Verdict {
  const conditions: Condition[] = (["ab", "ba"] as const).map((order) => ({
    order,
    vote: 0,
    scoreA: o.scoreA,
    scoreB: o.scoreB,
    winner: winnerOf(o.scoreA, o.scoreB),
    raw: null,
    error: null,
    latencyMs: 0,
    usage: null,
    attempts: 0,
    cached: false,
    critique: o.critique,
  }));
  return {
    outcome: decideOutcome(conditions),
    ...meanScores(conditions),
    conditions,
    templateVersion: o.templateVersion,
    principlesHash: o.principlesHash,
    model: o.model,
    sampling: null,
    lengthA: o.responseA.length,
    lengthB: o.responseB.length,
  };
}
