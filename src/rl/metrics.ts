// One step's metrics, from what the step produced: the groups, the task's advantages and the
// update, whatever the task (a task adds its own through Task.stepMetrics). Pure. Keys are stable:
// metrics.jsonl, the run store, TensorBoard and the report read them.

import type { Rollout } from "../data/prompts.ts";
import { mean } from "../text/diagnostics.ts";
import type { GroupAdvantages } from "./estimators/types.ts";
import type { UpdateResult } from "./update.ts";

export type Metrics = Record<string, number | null>;

export function stepMetrics(x: {
  step: number;
  lr: number;
  groups: Rollout[][];
  estimates: GroupAdvantages[];
  update: UpdateResult;
  trainedSequences: number;
}): Metrics {
  const { groups, estimates, update } = x;
  const comparisons = estimates.flatMap((e) => e.comparisons);
  const ok = comparisons.filter((c) => c.outcome !== "failed");
  const allAdv = estimates.flatMap((e) => e.advantages.filter((_, i) => !e.masked[i]));
  const refLogps = update.ref.flatMap((r) => [...r.logp]);
  const curLogps = update.old.flatMap((r) => [...r.logp]);
  // k3 estimator of KL(policy || initial) on the sampled tokens
  const kl = refLogps.map((lr, i) => Math.exp(lr - curLogps[i]) - (lr - curLogps[i]) - 1);
  const rewards = estimates.flatMap((e) => (e.rewards ?? []).filter((r): r is number => r !== null));
  return {
    step: x.step + 1,
    lr: x.lr,
    advantage_mean: mean(allAdv),
    advantage_abs_mean: mean(allAdv.map(Math.abs)),
    reward_mean: mean(rewards),
    win_rate_vs_reference: ok.length ? ok.filter((c) => c.outcome === "a").length / ok.length : null,
    dropped_groups: estimates.filter((e) => e.dropped).length,
    groups: estimates.length,
    masked: estimates.reduce((s, e) => s + e.stats.maskedCount, 0),
    judge_calls: estimates.reduce((s, e) => s + e.judgeCalls, 0),
    judge_consistency: ok.length ? ok.filter((c) => c.outcome !== "inconsistent").length / ok.length : null,
    judge_failure_rate: comparisons.length ? (comparisons.length - ok.length) / comparisons.length : null,
    judge_first_position_rate: firstPositionRate(estimates),
    judge_cut_rate: cutRate(estimates),
    length_mean: mean(groups.flat().map((r) => r.responseTokens.length)),
    truncated_rate: mean(groups.flat().map((r) => (r.finishReason === "length" ? 1 : 0))),
    kl_to_initial: mean(kl),
    entropy: mean(update.old.flatMap((r) => [...r.entropy])),
    clip_fraction: update.clipFraction,
    grad_norm: update.gradNorm,
    loss: update.loss,
    trained_sequences: x.trainedSequences,
  };
}

/** Share of decisive judge conditions won by the response shown first (0.5: no position bias). */
export function firstPositionRate(estimates: GroupAdvantages[]): number | null {
  let decisive = 0;
  let first = 0;
  for (const e of estimates)
    for (const c of e.comparisons)
      for (const cond of c.verdict.conditions) {
        if (cond.winner !== "a" && cond.winner !== "b") continue;
        decisive++;
        if ((cond.order === "ab") === (cond.winner === "a")) first++;
      }
  return decisive ? first / decisive : null;
}

/**
 * Share of successful judge conditions whose critique hit the judge's token limit (a grammar wrote
 * the final line); null when the judge has no such notion or nothing succeeded.
 */
export function cutRate(estimates: GroupAdvantages[]): number | null {
  let judged = 0;
  let cut = 0;
  for (const e of estimates)
    for (const c of e.comparisons)
      for (const cond of c.verdict.conditions) {
        if (cond.error !== null) continue;
        judged++;
        if (cond.cut) cut++;
      }
  return judged ? cut / judged : null;
}

/** Failed judge conditions of a step by kind, and one raw reply that failed; null when none failed. */
export function judgeFailureReport(
  estimates: GroupAdvantages[],
): { kinds: string; sample: string | null } | null {
  const kinds = new Map<string, number>();
  let sample: string | null = null;
  for (const e of estimates)
    for (const c of e.comparisons)
      for (const cond of c.verdict.conditions) {
        if (cond.error === null) continue;
        kinds.set(cond.error, (kinds.get(cond.error) ?? 0) + 1);
        sample ??= cond.raw ?? cond.errorDetail ?? null;
      }
  if (kinds.size === 0) return null;
  return {
    kinds: [...kinds.entries()].map(([k, n]) => `${k} ${n}`).join(", "),
    sample: sample === null ? null : sample.slice(0, 300),
  };
}
