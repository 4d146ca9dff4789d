// Judge accuracy on labelled preference pairs: right under both orders, each order alone,
// consistency, position bias, failures, and accuracy by length-difference bucket and by kind. Pure.

import type { Pair } from "../data/pairs.ts";
import type { Verdict } from "../judge/types.ts";
import { wilson } from "./intervals.ts";

export interface Rate {
  value: number | null;
  ci: [number, number] | null;
  n: number;
}

function rate(k: number, n: number): Rate {
  return { value: n ? k / n : null, ci: n ? wilson(k, n) : null, n };
}

function orderWinner(v: Verdict, order: "ab" | "ba"): "a" | "b" | "tie" | null {
  const cs = v.conditions.filter((c) => c.order === order);
  if (cs.length === 0 || cs.some((c) => c.scoreA === null)) return null;
  const a = cs.reduce((s, c) => s + c.scoreA!, 0);
  const b = cs.reduce((s, c) => s + c.scoreB!, 0);
  return a > b ? "a" : b > a ? "b" : "tie";
}

const words = (s: string) => (s.match(/\S+/g) ?? []).length;

export interface AccuracySummary {
  pairs: number;
  labelled: number;
  accuracy: Rate;
  accuracyFirstOrder: Rate;
  accuracySecondOrder: Rate;
  consistency: Rate;
  firstPositionWinRate: Rate;
  failureRate: Rate;
  /** Among decisive verdicts, how often the longer response won. */
  longerWinRate: Rate;
  byLengthDifference: { bucket: string; accuracy: Rate }[];
  /** Accuracy per kind of pair, for pairs whose file names their kind (sorted by kind). */
  byKind: { kind: string; accuracy: Rate }[];
}

export function accuracySummary(pairs: Pair[], verdicts: Verdict[]): AccuracySummary {
  let right = 0;
  let rightAB = 0;
  let rightBA = 0;
  let labelled = 0;
  let consistent = 0;
  let nonFailed = 0;
  let firstWins = 0;
  let decisiveConditions = 0;
  let failed = 0;
  let longerWins = 0;
  let decisive = 0;
  const buckets = new Map<string, { k: number; n: number }>();
  const kinds = new Map<string, { k: number; n: number }>();
  const count = (m: Map<string, { k: number; n: number }>, key: string, ok: boolean) => {
    const e = m.get(key) ?? { k: 0, n: 0 };
    e.n++;
    if (ok) e.k++;
    m.set(key, e);
  };
  const bucketOf = (p: Pair) => {
    const chosen = p.label === "a" ? p.responseA : p.responseB;
    const rejected = p.label === "a" ? p.responseB : p.responseA;
    const rel = (words(chosen) - words(rejected)) / Math.max(1, Math.max(words(chosen), words(rejected)));
    return rel < -0.2 ? "chosen shorter by >20%" : rel > 0.2 ? "chosen longer by >20%" : "within 20%";
  };
  pairs.forEach((p, i) => {
    const v = verdicts[i];
    if (v.outcome === "failed") failed++;
    else {
      nonFailed++;
      if (v.outcome !== "inconsistent") consistent++;
    }
    for (const c of v.conditions) {
      if (c.winner === "a" || c.winner === "b") {
        decisiveConditions++;
        if (c.winner === (c.order === "ab" ? "a" : "b")) firstWins++;
      }
    }
    if (v.outcome === "a" || v.outcome === "b") {
      const la = words(p.responseA);
      const lb = words(p.responseB);
      if (la !== lb) {
        decisive++;
        if ((v.outcome === "a") === la > lb) longerWins++;
      }
    }
    if (!p.label) return;
    labelled++;
    const ok = v.outcome === p.label;
    if (ok) right++;
    if (orderWinner(v, "ab") === p.label) rightAB++;
    if (orderWinner(v, "ba") === p.label) rightBA++;
    count(buckets, bucketOf(p), ok);
    if (p.kind) count(kinds, p.kind, ok);
  });
  return {
    pairs: pairs.length,
    labelled,
    accuracy: rate(right, labelled),
    accuracyFirstOrder: rate(rightAB, labelled),
    accuracySecondOrder: rate(rightBA, labelled),
    consistency: rate(consistent, nonFailed),
    firstPositionWinRate: rate(firstWins, decisiveConditions),
    failureRate: rate(failed, pairs.length),
    longerWinRate: rate(longerWins, decisive),
    byLengthDifference: ["chosen shorter by >20%", "within 20%", "chosen longer by >20%"].map((bucket) => ({
      bucket,
      accuracy: rate(buckets.get(bucket)?.k ?? 0, buckets.get(bucket)?.n ?? 0),
    })),
    byKind: [...kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, e]) => ({ kind, accuracy: rate(e.k, e.n) })),
  };
}
