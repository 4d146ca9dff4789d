// BRPO (Bootstrapped Relative Policy Optimization), after Writing-Zero:
//   - draw a reference uniformly at random from the group (seeded by run seed, step, group id);
//   - judge every other member against it under all voting conditions;
//   - advantage +1 if the member beats the reference under every condition, else -1; the
//     reference gets 0; no normalisation;
//   - skew filter: if |sum A| / G > threshold, the whole group gets 0 and is marked dropped;
//   - a member whose comparison failed is masked (advantage 0, no gradient) and counted.
// Options that deviate from the paper (each off by default): tie/inconsistent scored 0,
// k references averaged, sub-groups with a reference each.
import type { Outcome, PairwiseJudge } from "../../judge/types.ts";
import { sampleWithoutReplacement, seededRandom } from "../../model/random.ts";
import {
  type ComparisonRecord,
  comparisonStats,
  type Group,
  type GroupAdvantages,
  judgeCallsOf,
} from "./types.ts";

export interface BrpoOptions {
  seed: number;
  step: number;
  groupId: string | number;
  /** Drop the group when |sum A| / G exceeds this (paper: 0.6). Set >= 1 to disable. */
  skewThreshold?: number;
  /** Score of a tie (paper reading: -1, "not a win"). Deviation: 0. */
  tie?: -1 | 0;
  /** Score of an order-inconsistent verdict (paper reading: -1). Deviation: 0. */
  inconsistent?: -1 | 0;
  /** Independent references, each member's advantage averaged over them (paper: 1). */
  references?: number;
  /** Split the group into consecutive sub-groups of this size, each with its own reference. */
  subgroupSize?: number;
}

/** Comparisons x 2 orders that BRPO makes on a group of n: per sub-group of s, min(k, s) references x (s - 1). */
export function brpoJudgeCalls(
  n: number,
  options: Pick<BrpoOptions, "references" | "subgroupSize"> = {},
): number {
  const k = options.references ?? 1;
  const m = options.subgroupSize ?? n;
  let calls = 0;
  for (let start = 0; start < n; start += m) {
    const s = Math.min(m, n - start);
    if (s >= 2) calls += 2 * Math.min(k, s) * (s - 1);
  }
  return calls;
}

export function outcomeScore(
  outcome: Outcome,
  opts: Pick<BrpoOptions, "tie" | "inconsistent">,
): number | null {
  switch (outcome) {
    case "a":
      return 1;
    case "b":
      return -1;
    case "tie":
      return opts.tie ?? -1;
    case "inconsistent":
      return opts.inconsistent ?? -1;
    case "failed":
      return null;
  }
}

export async function brpo(
  group: Group,
  judge: PairwiseJudge,
  options: BrpoOptions,
): Promise<GroupAdvantages> {
  const G = group.responses.length;
  if (G < 2) throw new Error(`BRPO needs a group of at least 2 responses, got ${G}`);
  const threshold = options.skewThreshold ?? 0.6;
  const k = options.references ?? 1;
  const m = options.subgroupSize ?? G;
  if (!Number.isInteger(k) || k < 1) throw new Error("references must be a positive integer");
  if (!Number.isInteger(m) || m < 2) throw new Error("subgroupSize must be an integer of at least 2");

  const advantages = new Array<number>(G).fill(0);
  const masked = new Array<boolean>(G).fill(false);
  const referenceIndices: number[] = [];
  const comparisons: ComparisonRecord[] = [];
  let dropped = false;
  let skew = 0;

  for (let start = 0, sub = 0; start < G; start += m, sub++) {
    const members = Array.from({ length: Math.min(m, G - start) }, (_, i) => start + i);
    if (members.length < 2) continue; // a trailing sub-group of one has nothing to compare
    const random = seededRandom(options.seed, options.step, options.groupId, sub);
    const refs = sampleWithoutReplacement(members.length, Math.min(k, members.length), random).map(
      (i) => members[i],
    );
    referenceIndices.push(...refs);

    const jobs: Promise<ComparisonRecord>[] = [];
    for (const ref of refs) {
      for (const i of members) {
        if (i === ref) continue;
        jobs.push(
          judge.compare(group.prompt, group.responses[i], group.responses[ref]).then((verdict) => ({
            member: i,
            against: ref,
            outcome: verdict.outcome,
            score: outcomeScore(verdict.outcome, options),
            verdict,
          })),
        );
      }
    }
    const subComparisons = await Promise.all(jobs);
    comparisons.push(...subComparisons);

    const subAdv = new Map<number, number>();
    for (const i of members) {
      const mine = subComparisons.filter((c) => c.member === i);
      if (mine.length === 0) {
        subAdv.set(i, 0); // the single reference of this sub-group
        continue;
      }
      if (mine.some((c) => c.score === null)) {
        masked[i] = true;
        subAdv.set(i, 0);
        continue;
      }
      subAdv.set(i, mine.reduce((s, c) => s + c.score!, 0) / mine.length);
    }
    const sum = [...subAdv.values()].reduce((s, a) => s + a, 0);
    const subSkew = Math.abs(sum) / members.length;
    skew = Math.max(skew, subSkew);
    // No comparison succeeded (a judge outage): nothing was judged, so nothing may be rewarded,
    // the reference included (it would "win" by default). The sub-group is dropped.
    if (subComparisons.length > 0 && subComparisons.every((c) => c.score === null)) {
      dropped = true;
      for (const i of members) {
        advantages[i] = 0;
        masked[i] = true;
      }
    } else if (subSkew > threshold) {
      dropped = true;
      for (const i of members) advantages[i] = 0;
    } else {
      for (const [i, a] of subAdv) advantages[i] = a;
    }
  }

  return {
    estimator: "brpo",
    advantages,
    masked,
    dropped,
    referenceIndices,
    comparisons,
    judgeCalls: judgeCallsOf(comparisons),
    stats: { size: G, skew, maskedCount: masked.filter(Boolean).length, ...comparisonStats(comparisons) },
  };
}
