// The all-pairs tournament: every pair judged (both orders, through the judge's conditions);
// a response's advantage is (wins - losses) / (G - 1), centred over unmasked responses. It costs
// G(G-1)/2 comparisons against BRPO's G-1: the expensive comparison point.
import type { PairwiseJudge } from "../../judge/types.ts";
import {
  type ComparisonRecord,
  comparisonStats,
  type Group,
  type GroupAdvantages,
  judgeCallsOf,
} from "./types.ts";

export async function allPairs(group: Group, judge: PairwiseJudge): Promise<GroupAdvantages> {
  const G = group.responses.length;
  if (G < 2) throw new Error(`all-pairs needs a group of at least 2 responses, got ${G}`);
  const jobs: Promise<ComparisonRecord>[] = [];
  for (let i = 0; i < G; i++) {
    for (let j = i + 1; j < G; j++) {
      jobs.push(
        judge.compare(group.prompt, group.responses[i], group.responses[j]).then((verdict) => ({
          member: i,
          against: j,
          outcome: verdict.outcome,
          score:
            verdict.outcome === "a"
              ? 1
              : verdict.outcome === "b"
                ? -1
                : verdict.outcome === "failed"
                  ? null
                  : 0,
          verdict,
        })),
      );
    }
  }
  const comparisons = await Promise.all(jobs);
  const net = new Array<number>(G).fill(0);
  const masked = new Array<boolean>(G).fill(false);
  for (const c of comparisons) {
    if (c.score === null) {
      masked[c.member] = masked[c.against] = true;
      continue;
    }
    net[c.member] += c.score;
    net[c.against] -= c.score;
  }
  const live = net.map((_, i) => i).filter((i) => !masked[i]);
  const mean = live.length ? live.reduce((s, i) => s + net[i], 0) / live.length : 0;
  const advantages = net.map((x, i) => (masked[i] ? 0 : (x - mean) / (G - 1)));
  return {
    estimator: "all-pairs",
    advantages,
    masked,
    dropped: false,
    referenceIndices: [],
    comparisons,
    judgeCalls: judgeCallsOf(comparisons),
    stats: {
      size: G,
      skew: 0,
      maskedCount: masked.filter(Boolean).length,
      ...comparisonStats(comparisons),
    },
  };
}
