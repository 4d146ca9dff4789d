// The contrast experiment's figures: each arm's per-seed figures (graded by the gold on held-out
// prompts) summarised across seeds as a mean with a 95 % Student-t interval, and per-step curves
// averaged across seeds. Pure: figures in, summaries and text out.

/** What one finished run of one arm and seed contributes. */
export interface SeedFigures {
  seed: number;
  /** Final-policy figures, gold-graded on held-out prompts (keys of FIGURES), and the initial's. */
  final: Record<string, number | null>;
  initial: Record<string, number | null>;
  /** Per-step training metrics, with `step` counted from 1. */
  steps: Record<string, number | null>[];
}

/** The table's columns: key, heading, share (shown in %) or plain number. */
export const FIGURES: [key: string, heading: string, kind: "share" | "number"][] = [
  ["gold_win_rate", "gold win vs initial", "share"],
  ["fluent", "fluent", "share"],
  ["all_met", "all met", "share"],
  ["required_word", "word", "share"],
  ["taste", "taste", "share"],
  // final vs initial by taste alone, on the pairs whose explicit constraints tie (gold)
  ["taste_tied_win_rate", "taste win, tied", "share"],
  ["words", "words", "number"],
  ["commentary_tokens", "commentary tok", "number"],
  ["distinct_2", "distinct-2", "number"],
  ["proxy_win_rate", "own judge's win", "share"],
];

/** Every figure is a share in [0, 1] or a non-negative count. */
const rangeOf = (kind: "share" | "number"): [number, number] =>
  kind === "share" ? [0, 1] : [0, Number.POSITIVE_INFINITY];

// Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface Interval {
  mean: number;
  /** null with fewer than two values: one seed says nothing about the spread. */
  lo: number | null;
  hi: number | null;
  n: number;
}

/**
 * Mean and 95 % t-interval of the mean; nulls are left out. The interval is clipped to the
 * measure's range when one is given (a share cannot leave [0, 1]; with three seeds the t
 * quantile is 4.3 and an unclipped interval often would).
 */
export function meanInterval(
  values: (number | null)[],
  range: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
): Interval | null {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { mean, lo: null, hi: null, n };
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean, lo: Math.max(range[0], mean - half), hi: Math.min(range[1], mean + half), n };
}

export interface ArmSummary {
  name: string;
  describe: string;
  seeds: number[];
  figures: Record<string, Interval | null>;
}

export function summariseArm(name: string, describe: string, runs: SeedFigures[]): ArmSummary {
  return {
    name,
    describe,
    seeds: runs.map((r) => r.seed),
    figures: Object.fromEntries(
      FIGURES.map(([k, , kind]) => [
        k,
        meanInterval(
          runs.map((r) => r.final[k] ?? null),
          rangeOf(kind),
        ),
      ]),
    ),
  };
}

/** The initial policy's figures, over every run (the same base, sampled with each run's seed). */
export function summariseInitial(runs: SeedFigures[]): ArmSummary {
  return {
    name: "initial policy",
    describe: "the shared base",
    seeds: [...new Set(runs.map((r) => r.seed))],
    figures: Object.fromEntries(
      FIGURES.map(([k, , kind]) => [
        k,
        meanInterval(
          runs.map((r) => r.initial[k] ?? null),
          rangeOf(kind),
        ),
      ]),
    ),
  };
}

/** A metric per step, averaged over the seeds that have it at that step. */
export function meanCurve(runs: SeedFigures[], key: string): [number, number | null][] {
  const bySteps = new Map<number, number[]>();
  for (const r of runs)
    for (const row of r.steps) {
      const v = row[key];
      if (typeof row.step !== "number" || v === null || v === undefined || !Number.isFinite(v)) continue;
      const list = bySteps.get(row.step) ?? [];
      list.push(v);
      bySteps.set(row.step, list);
    }
  return [...bySteps.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, vs]) => [step, vs.reduce((s, x) => s + x, 0) / vs.length]);
}

export function formatValue(v: number, kind: "share" | "number"): string {
  return kind === "share" ? `${(100 * v).toFixed(1)}%` : v.toFixed(2);
}

export function formatInterval(iv: Interval | null, kind: "share" | "number"): string {
  if (!iv) return "n/a";
  const mean = formatValue(iv.mean, kind);
  if (iv.lo === null || iv.hi === null) return mean;
  const f = (x: number) => (kind === "share" ? (100 * x).toFixed(1) : x.toFixed(2));
  return `${mean} [${f(iv.lo)}, ${f(iv.hi)}]`;
}

/** The comparison table for a terminal: one row per arm, mean [95 % interval] across seeds. */
export function comparisonTable(rows: ArmSummary[]): string {
  const head = ["arm", ...FIGURES.map(([, h]) => h)];
  const body = rows.map((r) => [r.name, ...FIGURES.map(([k, , kind]) => formatInterval(r.figures[k], kind))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
