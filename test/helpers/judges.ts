// Hand-built judges for estimator tests: they return real Verdict objects with both orders.
import {
  type Condition,
  decideOutcome,
  type PairwiseJudge,
  type Verdict,
  type Winner,
} from "../../src/judge/types.ts";

export function verdictFrom(winners: (Winner | null)[], a = "", b = ""): Verdict {
  const conditions: Condition[] = winners.map((w, i) => ({
    order: i % 2 === 0 ? "ab" : "ba",
    vote: Math.floor(i / 2),
    scoreA: w === null ? null : w === "a" ? 1 : 0,
    scoreB: w === null ? null : w === "b" ? 1 : 0,
    winner: w,
    raw: null,
    error: w === null ? "no_answer" : null,
    latencyMs: 0,
    usage: null,
    attempts: 1,
    cached: false,
  }));
  return {
    outcome: decideOutcome(conditions),
    scoreA: null,
    scoreB: null,
    conditions,
    templateVersion: "test",
    principlesHash: "test",
    model: "test",
    sampling: null,
    lengthA: a.length,
    lengthB: b.length,
  };
}

/** A judge given by a function of (a, b) -> winners per condition. */
export function functionJudge(
  f: (a: string, b: string) => (Winner | null)[],
): PairwiseJudge & { calls: number } {
  const judge = {
    name: "function",
    calls: 0,
    async compare(_prompt: string, a: string, b: string) {
      judge.calls++;
      return verdictFrom(f(a, b), a, b);
    },
  };
  return judge;
}
