// The over-optimisation monitor: every k steps, the step's rollouts are graded a second time by an
// independent judge the policy never trains against (in the tiny world, the gold). Its figures
// are stored beside the training judge's, so the report can draw them together and the loop can
// warn when the training figure rises while the independent one falls. The monitor is handed in
// by the command that builds the run; this module knows no particular judge.
import type { PairwiseJudge } from "../judge/types.ts";
import type { GroupAdvantages } from "./estimators/types.ts";

export interface EvalMonitor {
  /** The independent judge: re-judges each member against the same reference the estimator used. */
  judge: PairwiseJudge;
  /** Task-specific figures of the independent judge over (prompt, response) items, e.g. gold shares. */
  summarize?(items: { prompt: string; response: string }[]): Record<string, number | null>;
  /** The independent judge's per-response score on [0, 10], when it has one (the headline series). */
  score?(prompt: string, response: string): number | null;
  /**
   * Pair figures of the final evaluation: each names a comparison of two responses to one prompt
   * that the independent side can make on its own terms (e.g. taste where the constraints tie),
   * null where it does not apply to the pair.
   */
  pairFigures?: PairFigure[];
}

export interface PairFigure {
  key: string;
  label: string;
  outcome(prompt: string, a: string, b: string): "a" | "b" | "tie" | null;
}

export interface MonitorFigures {
  /** Share of member-vs-reference pairs the independent judge says the member wins. */
  eval_win_rate_vs_reference: number | null;
  /** Share of the training judge's decisive verdicts (a or b) that the independent judge shares. */
  eval_agreement: number | null;
  eval_score_mean: number | null;
  [key: string]: number | null;
}

/** Grades one step's groups with the independent judge. */
export async function monitorStep(
  monitor: EvalMonitor,
  groups: { prompt: string; responses: string[] }[],
  estimates: GroupAdvantages[],
): Promise<MonitorFigures> {
  let wins = 0;
  let judged = 0;
  let agree = 0;
  let decisive = 0;
  await Promise.all(
    estimates.flatMap((e, g) =>
      e.comparisons.map(async (c) => {
        const v = await monitor.judge.compare(
          groups[g].prompt,
          groups[g].responses[c.member],
          groups[g].responses[c.against],
        );
        if (v.outcome === "failed") return;
        judged++;
        if (v.outcome === "a") wins++;
        if (c.outcome === "a" || c.outcome === "b") {
          decisive++;
          if (v.outcome === c.outcome) agree++;
        }
      }),
    ),
  );
  const items = groups.flatMap((grp) => grp.responses.map((response) => ({ prompt: grp.prompt, response })));
  const scores = monitor.score
    ? items.map((it) => monitor.score!(it.prompt, it.response)).filter((x): x is number => x !== null)
    : [];
  const summary = monitor.summarize?.(items) ?? {};
  return {
    eval_win_rate_vs_reference: judged ? wins / judged : null,
    eval_agreement: decisive ? agree / decisive : null,
    eval_score_mean: scores.length ? scores.reduce((s, x) => s + x, 0) / scores.length : null,
    ...Object.fromEntries(Object.entries(summary).map(([k, v]) => [`eval_${k}`, v])),
  };
}

/**
 * Over-optimisation: over the last `window` monitored points, the training figure's later half
 * beats its earlier half by more than `margin` while the independent figure's falls by more than
 * `margin`. Both series on comparable scales (the loop passes means on [0, 10]).
 */
export function divergence(
  training: number[],
  independent: number[],
  window: number,
  margin: number,
): { rising: number; falling: number } | null {
  if (training.length < window || independent.length < window || window < 2) return null;
  const half = Math.floor(window / 2);
  const delta = (xs: number[]) => {
    const w = xs.slice(-window);
    const avg = (ys: number[]) => ys.reduce((s, y) => s + y, 0) / ys.length;
    return avg(w.slice(window - half)) - avg(w.slice(0, half));
  };
  const rising = delta(training);
  const falling = delta(independent);
  return rising > margin && falling < -margin ? { rising, falling } : null;
}
