// Aggregate statistics over many verdicts: how often the judge agrees with itself across
// presentation orders, how often the first position wins, how often it fails. Pure.
import type { Outcome, Verdict } from "./types.ts";

export interface VerdictStats {
  total: number;
  outcomes: Record<Outcome, number>;
  /** Share of non-failed verdicts whose conditions all named the same winner (a, b or tie). */
  consistency: number | null;
  /** Share of decisive successful conditions won by the response shown first (0.5 = no bias). */
  firstPositionWinRate: number | null;
  /** Share of verdicts that failed. */
  failureRate: number | null;
  /** Failed conditions by error kind. */
  failuresByKind: Record<string, number>;
  /** Accuracy against labels: share of labelled verdicts whose outcome equals the label. */
  accuracy: number | null;
  labelled: number;
}

export function verdictStats(verdicts: Verdict[], labels?: (string | undefined)[]): VerdictStats {
  const outcomes: Record<Outcome, number> = { a: 0, b: 0, tie: 0, inconsistent: 0, failed: 0 };
  const failuresByKind: Record<string, number> = {};
  let decisive = 0;
  let firstWins = 0;
  let labelled = 0;
  let correct = 0;
  verdicts.forEach((v, i) => {
    outcomes[v.outcome]++;
    for (const c of v.conditions) {
      if (c.error) failuresByKind[c.error] = (failuresByKind[c.error] ?? 0) + 1;
      else if (c.winner && c.winner !== "tie") {
        decisive++;
        const firstShown = c.order === "ab" ? "a" : "b";
        if (c.winner === firstShown) firstWins++;
      }
    }
    const label = labels?.[i];
    if (label === "a" || label === "b") {
      labelled++;
      if (v.outcome === label) correct++;
    }
  });
  const total = verdicts.length;
  const nonFailed = total - outcomes.failed;
  const consistent = outcomes.a + outcomes.b + outcomes.tie;
  return {
    total,
    outcomes,
    consistency: nonFailed > 0 ? consistent / nonFailed : null,
    firstPositionWinRate: decisive > 0 ? firstWins / decisive : null,
    failureRate: total > 0 ? outcomes.failed / total : null,
    failuresByKind,
    accuracy: labelled > 0 ? correct / labelled : null,
    labelled,
  };
}
