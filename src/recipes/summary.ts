// The main job's closing lines: the independent judge's figures first, then the training judge's,
// labelled as what they are. Pure (text from a head-to-head result).
import { type HeadToHeadResult, TASK_FIGURES, type WinTally } from "../eval/head-to-head.ts";

const pct = (x: number | null | undefined) => (x == null ? "n/a" : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null | undefined, d = 2) => (x == null ? "n/a" : x.toFixed(d));

function winLine(t: WinTally): string {
  const ci = t.winRateCI ? ` (95% CI ${pct(t.winRateCI[0])}-${pct(t.winRateCI[1])})` : "";
  return `win rate ${pct(t.winRate)}${ci}; wins ${t.wins}, ties ${t.ties}, losses ${t.losses}, inconsistent ${t.inconsistent}, failed ${t.failed}`;
}

export function finalSummary(
  h: HeadToHeadResult,
  o: { prompts: number; samples: number; independent: boolean },
): string {
  const lines = [
    `final vs initial policy on ${o.prompts} held-out prompts x ${o.samples} samples, both orders:`,
  ];
  const [first, ...rest] = h.tallies;
  lines.push(
    o.independent
      ? `  evaluation judge ${first.judge} (never trained against):`
      : `  evaluation judge ${first.judge} = THE TRAINING JUDGE (a training signal, not evidence):`,
  );
  lines.push(`    ${winLine(first)}`);
  for (const [key, label, kind] of TASK_FIGURES) {
    if (!(key in h.a.task)) continue;
    const f = kind === "share" ? pct : num;
    lines.push(`    ${label}: ${f(h.b.task[key])} -> ${f(h.a.task[key])}`);
  }
  lines.push(`    distinct-2: ${num(h.b.distinct2)} -> ${num(h.a.distinct2)}`);
  for (const t of h.pairTallies ?? [])
    lines.push(`    ${t.judge}, final vs initial on ${t.pairs} of the pairs: ${winLine(t)}`);
  for (const t of rest) {
    lines.push(`  training judge ${t.judge} (what the policy was trained to please; not evidence):`);
    lines.push(`    ${winLine(t)}`);
  }
  lines.push(
    `  rule checks of the prompt's explicit constraints (word present, length): satisfied ${pct(h.b.satisfied)} -> ${pct(h.a.satisfied)}; all met ${pct(h.b.allMet)} -> ${pct(h.a.allMet)}; meta-commentary tokens ${num(h.b.commentaryTokens)} -> ${num(h.a.commentaryTokens)}`,
  );
  return lines.join("\n");
}
