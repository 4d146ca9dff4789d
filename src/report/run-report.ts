// `wz report RUN`: one self-contained HTML file (inline CSS, SVG and a few lines of script, no
// network) with charts over training steps and a sample browser for chosen steps.
import { type PolicyFigures, TASK_FIGURES, type WinTally } from "../eval/head-to-head.ts";
import type { RunStore } from "../store/run-store.ts";
import { BASE_CSS } from "./style.ts";
import { escapeXml, lineChart, type Series } from "./svg-chart.ts";

const CSS = `${BASE_CSS}table.kv td{padding:2px 10px 2px 0;vertical-align:top}
table.summary{border-collapse:collapse}table.summary td,table.summary th{border-bottom:1px solid #e5e7eb;padding:3px 12px 3px 0;text-align:left;vertical-align:top}
.group{border:1px solid #e5e7eb;border-radius:6px;padding:10px;margin:10px 0}
.prompt{font-weight:600}.dropped{color:#b45309}
.resp{display:grid;grid-template-columns:70px 1fr;gap:6px;padding:4px 0;border-top:1px solid #f3f4f6}
.adv{font-family:monospace;text-align:center;border-radius:4px}
.pos{background:#dcfce7}.neg{background:#fee2e2}.zero{background:#f3f4f6}.ref{background:#dbeafe;font-weight:700}
.cmp{display:grid;grid-template-columns:1fr 1fr;gap:8px;font-size:12px;background:#fafafa;padding:6px;margin:4px 0 4px 70px}
pre{white-space:pre-wrap;margin:0;font-size:12px}
.step{display:none}.step.active{display:block}
`;

const SCRIPT = `
const sel=document.getElementById('step-select');
function show(v){document.querySelectorAll('.step').forEach(e=>e.classList.toggle('active',e.dataset.step===v));}
sel.addEventListener('change',e=>show(e.target.value));show(sel.value);
`;

type Metrics = Record<string, number | null>;

function seriesOf(rows: { step: number; metrics: Metrics }[], key: string, name = key): Series {
  return { name, points: rows.map((r) => [r.step + 1, r.metrics[key] ?? null]) };
}

function conditionText(verdict: unknown): string {
  const v = verdict as {
    outcome: string;
    scoreA: number | null;
    scoreB: number | null;
    conditions: {
      order: string;
      scoreA: number | null;
      scoreB: number | null;
      raw: string | null;
      error: string | null;
      critique?: unknown;
    }[];
  };
  return v.conditions
    .map((c) => {
      const head = `${c.order === "ab" ? "member shown first" : "reference shown first"}: ${c.error ? `FAILED (${c.error})` : `member ${c.scoreA?.toFixed(2)} vs reference ${c.scoreB?.toFixed(2)}`}`;
      const body =
        c.raw ??
        (c.critique
          ? (c.critique as { a: { principle: string; score: number; detail: string }[] }).a
              .map((r) => `${r.principle}: ${r.score.toFixed(2)} (${r.detail})`)
              .join("\n")
          : "");
      return `<div><b>${escapeXml(head)}</b><pre>${escapeXml(body)}</pre></div>`;
    })
    .join("");
}

export function pickSteps(total: number, wanted?: number[]): number[] {
  if (wanted?.length) return wanted.filter((s) => s >= 1 && s <= total).map((s) => s - 1);
  return [...new Set([0, Math.floor((total - 1) / 2), total - 1])].filter((s) => s >= 0);
}

export function renderRunReport(store: RunStore, runName: string, steps?: number[]): string {
  const rows = store.stepMetrics();
  const config = store.getMeta<Record<string, unknown>>("config");
  const evalResult = store.getEval<Record<string, unknown>>("final_vs_initial");
  const monitored = rows.filter((r) => r.metrics.eval_win_rate_vs_reference != null);
  const overOptimisation = lineChart(
    "over-optimisation: training judge vs independent judge (same rollouts)",
    (
      [
        seriesOf(monitored, "win_rate_vs_reference", "training judge: win rate vs reference"),
        seriesOf(monitored, "eval_win_rate_vs_reference", "independent: win rate vs reference"),
        seriesOf(monitored, "eval_all_met", "independent: all constraints met"),
        seriesOf(monitored, "eval_fluent", "independent: fluent"),
        {
          name: "training judge: mean score / 10",
          points: monitored.map((r) => [
            r.step + 1,
            r.metrics.proxy_score_mean == null ? null : r.metrics.proxy_score_mean / 10,
          ]),
        },
        {
          name: "independent: mean score / 10",
          points: monitored.map((r) => [
            r.step + 1,
            r.metrics.eval_score_mean == null ? null : r.metrics.eval_score_mean / 10,
          ]),
        },
      ] as Series[]
    ).filter((x) => x.points.some(([, y]) => y != null)),
    { width: 860, height: 300, legendWidth: 265 },
  );
  const charts = [
    ...(monitored.length ? [overOptimisation] : []),
    lineChart("reward: win rate vs reference, mean advantage", [
      seriesOf(rows, "win_rate_vs_reference", "win rate"),
      seriesOf(rows, "advantage_mean", "mean advantage"),
    ]),
    lineChart("constraints met (share)", [seriesOf(rows, "constraints_met")]),
    lineChart("response length (words: mean, p90)", [
      seriesOf(rows, "length_words_mean", "mean"),
      seriesOf(rows, "length_words_p90", "p90"),
    ]),
    lineChart("over-explanation (meta-commentary tokens per response)", [
      seriesOf(rows, "over_explanation_tokens"),
    ]),
    lineChart("judge consistency and failures", [
      seriesOf(rows, "judge_consistency", "consistency"),
      seriesOf(rows, "judge_failure_rate", "failure rate"),
    ]),
    lineChart("dropped groups and masked responses", [
      seriesOf(rows, "dropped_groups", "dropped"),
      seriesOf(rows, "masked", "masked"),
    ]),
    lineChart("KL to the initial policy (k3)", [seriesOf(rows, "kl_to_initial")]),
    lineChart("entropy (nats/token)", [seriesOf(rows, "entropy")]),
    lineChart("clip fraction", [seriesOf(rows, "clip_fraction")]),
    lineChart("step time (s): sample, judge, train, sync, store", [
      seriesOf(rows, "time_sample_s", "sample"),
      seriesOf(rows, "time_judge_s", "judge"),
      seriesOf(rows, "time_train_s", "train"),
      seriesOf(rows, "time_sync_s", "sync"),
      seriesOf(rows, "time_store_s", "store"),
    ]),
  ];
  const chosen = pickSteps(rows.length, steps);
  const stepSections = chosen.map((s) => {
    const rollouts = store.rollouts(s);
    const comparisons = store.comparisons(s);
    const groups = store.groups(s).map((g) => {
      const mine = rollouts.filter((r) => r.group === g.group);
      const items = mine.map((r) => {
        const cls = r.isReference ? "ref" : r.advantage > 0 ? "pos" : r.advantage < 0 ? "neg" : "zero";
        const label = r.isReference
          ? "REF"
          : `${r.advantage > 0 ? "+" : ""}${r.advantage.toFixed(2)}${r.masked ? " m" : ""}`;
        const cmp = comparisons.find((c) => c.group === g.group && c.member === r.member);
        const details = cmp
          ? `<details><summary>judge: ${escapeXml(cmp.outcome)}</summary><div class="cmp">${conditionText(cmp.verdict)}</div></details>`
          : "";
        return `<div class="resp"><div class="adv ${cls}">${label}</div><div><pre>${escapeXml(r.text)}</pre>${details}</div></div>`;
      });
      return `<div class="group"><div class="prompt">${escapeXml(g.prompt)}${g.dropped ? ' <span class="dropped">(dropped by the skew filter)</span>' : ""}</div>${items.join("")}</div>`;
    });
    return `<section class="step" data-step="${s + 1}"><h3>step ${s + 1}</h3>${groups.join("")}</section>`;
  });
  const summary = evalResult
    ? summaryTable(evalResult)
    : "<p>No final evaluation (the run is not finished).</p>";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>writing-zero report: ${escapeXml(runName)}</title><style>${CSS}</style></head><body>
<h1>writing-zero run report: ${escapeXml(runName)}</h1>
<p>${rows.length} steps; estimator ${escapeXml(String((config?.estimator as { name?: string })?.name ?? "?"))}; judge ${escapeXml(String((config?.judge as { kind?: string })?.kind ?? "?"))}.</p>
<h2>Final policy vs initial policy (held-out prompts)</h2>${summary}
<p>The independent judge never trained the policy; the training judge's figures are what the policy was trained to please, shown for contrast, not as evidence.</p>
<h2>Training curves</h2><div class="charts">${charts.join("")}</div>
<h2>Samples</h2><label>step <select id="step-select">${chosen.map((s) => `<option value="${s + 1}"${s === chosen[chosen.length - 1] ? " selected" : ""}>${s + 1}</option>`).join("")}</select></label>
<p>Each group's reference is marked REF; other responses show their advantage. Open "judge" for the critique and scores of each presentation order.</p>
${stepSections.join("\n")}
<script>${SCRIPT}</script>
</body></html>`;
}

const pct = (x: unknown) => (typeof x === "number" ? `${(100 * x).toFixed(1)} %` : "–");
const num = (x: unknown) => (typeof x === "number" ? x.toFixed(2) : "–");

/** The final evaluation as a readable initial -> final table, judges side by side. */
function summaryTable(e: Record<string, unknown>): string {
  const tallies = (e.tallies as WinTally[] | undefined) ?? [];
  const a = e.a as PolicyFigures | undefined;
  const b = e.b as PolicyFigures | undefined;
  if (!a || !b) return "<p>This run's final evaluation predates the current format; see summary.txt.</p>";
  const independent = e.independent !== false;
  const judgeRows = tallies.map((t, i) => {
    const role = i === 0 && independent ? "independent judge" : "training judge (not evidence)";
    const ci = t.winRateCI ? ` (95 % CI ${pct(t.winRateCI[0])} – ${pct(t.winRateCI[1])})` : "";
    return `<tr><td>win rate, final vs initial: ${escapeXml(role)} <code>${escapeXml(t.judge)}</code></td><td></td><td><b>${pct(t.winRate)}</b>${ci}; ${t.wins} wins, ${t.ties} ties, ${t.losses} losses, ${t.inconsistent} inconsistent, ${t.failed} failed</td></tr>`;
  });
  const pairRows = ((e.pairTallies as (WinTally & { key: string })[] | undefined) ?? []).map((t) => {
    const ci = t.winRateCI ? ` (95 % CI ${pct(t.winRateCI[0])} – ${pct(t.winRateCI[1])})` : "";
    return `<tr><td>${escapeXml(t.judge)}, final vs initial (on ${t.pairs} pairs)</td><td></td><td><b>${pct(t.winRate)}</b>${ci}; ${t.wins} wins, ${t.ties} ties, ${t.losses} losses</td></tr>`;
  });
  const taskRows = TASK_FIGURES.filter(([k]) => k in a.task).map(([k, label, kind]) => {
    const f = kind === "share" ? pct : num;
    return `<tr><td>${escapeXml(label)} (independent)</td><td>${f(b.task[k])}</td><td>${f(a.task[k])}</td></tr>`;
  });
  const ruleRows = [
    ["explicit constraints satisfied (rule checks)", pct(b.satisfied), pct(a.satisfied)],
    ["all explicit constraints met (rule checks)", pct(b.allMet), pct(a.allMet)],
    ["meta-commentary tokens per response", num(b.commentaryTokens), num(a.commentaryTokens)],
    ["distinct-2", num(b.distinct2), num(a.distinct2)],
  ].map(([l, x, y]) => `<tr><td>${escapeXml(l)}</td><td>${x}</td><td>${y}</td></tr>`);
  return `<table class="summary"><tr><th>measure</th><th>initial</th><th>final</th></tr>${judgeRows.join("")}${pairRows.join("")}${taskRows.join("")}${ruleRows.join("")}</table>`;
}
