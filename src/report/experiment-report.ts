// The contrast experiment's report: one self-contained HTML file (inline CSS and SVG, no script, no
// network). The comparison table leads; then what the labels and the judges were, the curves over
// training (the gold's view of the training rollouts beside each arm's own reward), the per-seed
// figures and a few held-out samples per arm, final beside initial, to read before believing a number.
import {
  type ArmSummary,
  FIGURES,
  formatInterval,
  formatValue,
  meanCurve,
  type SeedFigures,
} from "../eval/aggregate.ts";
import type { LabelTally } from "../world/tiny-labeller.ts";
import { BASE_CSS } from "./style.ts";
import { escapeXml, lineChart, type Series } from "./svg-chart.ts";

const CSS = `${BASE_CSS}table{border-collapse:collapse}td,th{border-bottom:1px solid #e5e7eb;padding:3px 12px 3px 0;text-align:left;vertical-align:top}
th{font-weight:600}.note{color:#555;max-width:900px}
.sample{display:grid;grid-template-columns:1fr 1fr;gap:8px;font-size:12px;background:#fafafa;padding:6px;margin:4px 0}
.prompt{font-weight:600;font-size:12px;margin-top:8px}
`;

export interface ExperimentReportData {
  labels: Record<string, LabelTally>;
  labellers: Record<string, Record<string, number>>;
  judges: Record<string, Record<string, unknown> | null>;
  initial: ArmSummary;
  arms: {
    summary: ArmSummary;
    estimator: string;
    runs: (SeedFigures & { examples: { prompt: string; a: string; b: string; outcomes: string[] }[] })[];
  }[];
  seeds: number[];
}

const esc = escapeXml;

function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</table>`;
}

function comparison(rows: ArmSummary[]): string {
  return table(
    ["arm", "what", ...FIGURES.map(([, h]) => h)],
    rows.map((r) => [
      r.name,
      r.describe,
      ...FIGURES.map(([k, , kind]) => formatInterval(r.figures[k], kind)),
    ]),
  );
}

function rate(x: unknown): string {
  const v = (x as { value?: number | null } | undefined)?.value;
  return typeof v === "number" ? `${(100 * v).toFixed(1)}%` : "n/a";
}

function judgesTable(judges: ExperimentReportData["judges"]): string {
  const rows = Object.entries(judges).map(([name, s]) => {
    if (!s) return [name, "not trained", "", "", ""];
    if (s.heldOutAfter) {
      const a = s.heldOutAfter as { accuracy: number; n: number; consistency?: number };
      const b = s.heldOutBefore as { accuracy: number };
      return [
        name,
        `${(100 * b.accuracy).toFixed(1)}%`,
        `${(100 * a.accuracy).toFixed(1)}%`,
        // Measured on the held-out pairs scored in both orders; older summaries did not record it.
        a.consistency === undefined ? "not measured" : `${(100 * a.consistency).toFixed(1)}%`,
        "n/a",
      ];
    }
    const sft = s.sft as Record<string, unknown> | null;
    const rl = s.rlvr as Record<string, unknown>;
    return [
      name,
      sft ? `${rate(sft.accuracy)} (SFT-only)` : "not measured",
      rate(rl.accuracy),
      rate(rl.consistency),
      rate(rl.firstPositionWinRate),
    ];
  });
  return table(
    ["judge", "held-out accuracy before", "after training", "consistency", "first-position rate"],
    rows,
  );
}

function curves(data: ExperimentReportData): string {
  const all = (key: string): Series[] =>
    data.arms.map((a) => ({ name: a.summary.name, points: meanCurve(a.runs, key) }));
  const wide = { width: 560, height: 260, legendWidth: 150 };
  const shared = [
    lineChart("gold mean score of the training rollouts (0-10)", all("eval_score_mean"), wide),
    lineChart("gold: commentary tokens per response", all("eval_commentary_tokens"), wide),
    lineChart("words per response", all("length_words_mean"), wide),
    lineChart("gold: all constraints met", all("eval_all_met"), wide),
  ];
  // Each arm's own reward in its own units, beside the gold's view of the same rollouts.
  const own = data.arms.map((a) => {
    const pairwise = a.estimator === "brpo";
    const series: Series[] = pairwise
      ? [
          { name: "own judge: member beats reference", points: meanCurve(a.runs, "win_rate_vs_reference") },
          { name: "gold: member beats reference", points: meanCurve(a.runs, "eval_win_rate_vs_reference") },
        ]
      : [{ name: "own reward (mean)", points: meanCurve(a.runs, "reward_mean") }];
    return lineChart(`${a.summary.name}: proxy${pairwise ? " vs gold" : ""}`, series, {
      ...wide,
      legendWidth: 250,
    });
  });
  return `<div class="charts">${shared.join("")}</div><h3>Each arm's own reward</h3><p class="note">A scalar reward's mean is in the reward model's own units (only its rise means anything); the pairwise arms show the share of members their judge says beat the reference beside the gold's share on the very same comparisons.</p><div class="charts">${own.join("")}</div>`;
}

function perSeed(data: ExperimentReportData): string {
  const rows = data.arms.flatMap((a) =>
    a.runs.map((r) => [
      a.summary.name,
      String(r.seed),
      ...FIGURES.map(([k, , kind]) => (r.final[k] == null ? "n/a" : formatValue(r.final[k]!, kind))),
    ]),
  );
  return table(["arm", "seed", ...FIGURES.map(([, h]) => h)], rows);
}

function samples(data: ExperimentReportData): string {
  return data.arms
    .map((a) => {
      const run = a.runs[0];
      if (!run) return `<h3>${esc(a.summary.name)}</h3><p>no finished run</p>`;
      const shown = run.examples.slice(0, 4);
      return `<h3>${esc(a.summary.name)} (seed ${run.seed})</h3>${shown
        .map(
          (e) =>
            `<div class="prompt">${esc(e.prompt)}</div><div class="sample"><div><b>final</b><br>${esc(e.a)}</div><div><b>initial</b><br>${esc(e.b)}</div></div>`,
        )
        .join("")}`;
    })
    .join("");
}

export function renderExperimentReport(data: ExperimentReportData): string {
  const labelRows = Object.entries(data.labels).map(([name, t]) => {
    const l = data.labellers[name] ?? {};
    return [
      name,
      `noise ${l.noise}, tie margin ${l.tie_margin}, explain bias ${l.explain_bias}, length bias ${l.length_bias}`,
      String(t.pairs),
      t.agreesWithGold === null ? "n/a" : `${(100 * t.agreesWithGold).toFixed(1)}%`,
      Object.entries(t.reasons)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ];
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>writing-zero: the reward-hacking contrast</title><style>${CSS}</style></head><body>
<h1>The reward-hacking contrast</h1>
<p class="note">Every arm starts from the same base, trains on the same prompts for the same steps, once per seed (${data.seeds.join(", ")}). Each final policy is graded by the tiny world's gold judge, which no arm trains against, on held-out prompts against the initial policy: mean [95% t-interval] over seeds.</p>
${comparison([data.initial, ...data.arms.map((a) => a.summary)])}
<h2>Labels</h2>
<p class="note">Training pairs are rated by a labelling model: it follows the gold, flips a clear pair with probability <i>noise</i>, and when the gold sees a gap below the tie margin it leans towards the response that explains itself or the longer one.</p>
${table(["labeller", "settings", "pairs", "agree with the gold", "label reasons"], labelRows)}
<h2>Judges on held-out pairs labelled by the gold</h2>
${judgesTable(data.judges)}
<h2>Over training</h2>
${curves(data)}
<h2>Per seed</h2>
${perSeed(data)}
<h2>Held-out samples, final beside initial</h2>
${samples(data)}
</body></html>
`;
}
