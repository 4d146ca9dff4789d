// `wz genrm-eval`: how good is the judge? Accuracy on labelled pairs, per order, consistency,
// position bias, failures, length buckets, and accuracy as votes grow; Wilson intervals.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Pair, PairFormat } from "../data/pairs.ts";
import { type AccuracySummary, accuracySummary, type Rate } from "../eval/genrm-accuracy.ts";
import type { PairwiseJudge, Verdict } from "../judge/types.ts";
import { VOTING_TEMPERATURE } from "../recipes/judges/spec.ts";
import { forEachConcurrent } from "../recipes/pool.ts";
import { Progress } from "../recipes/progress.ts";
import { renderEvalReport } from "../report/eval-report.ts";
import { UsageError } from "./errors.ts";
import { verdictLine } from "./judge-command.ts";
import { buildJudge, JUDGE_FLAGS, JUDGE_FLAGS_HELP } from "./judge-options.ts";
import { readPairsSkipping } from "./pairs-input.ts";

export const GENRM_EVAL_HELP = `wz genrm-eval --input pairs.jsonl [--format auto] [--votes 1,2,4,8] [--output DIR]

Judges labelled preference pairs (ours: label a|b; LitBench: chosen_story/rejected_story;
RewardBench: chosen/rejected) and reports, with 95% Wilson intervals: accuracy counting only
verdicts right under both orders, accuracy of each order alone, consistency across orders,
first-position win rate, failure rate, how often the longer response wins, and accuracy by
length-difference bucket. With several --votes values, one row per value (votes reuse the cache:
vote k of a larger run is the same condition as vote k of a smaller one).
Writes DIR/summary.json and DIR/verdicts-votes-N.jsonl (default DIR: genrm-eval).

${JUDGE_FLAGS_HELP}`;

const pct = (r: Rate) =>
  r.value === null
    ? "n/a"
    : `${(100 * r.value).toFixed(1)}% [${(100 * r.ci![0]).toFixed(1)}, ${(100 * r.ci![1]).toFixed(1)}]`;

export async function genrmEvalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...JUDGE_FLAGS,
      input: { type: "string" },
      format: { type: "string", default: "auto" },
      votes: { type: "string", default: "1" },
      output: { type: "string", default: "genrm-eval" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(GENRM_EVAL_HELP);
    return 0;
  }
  if (!values.input) throw new UsageError("--input is required (see wz genrm-eval --help)");
  const voteList = String(values.votes)
    .split(",")
    .map((v) => Number(v));
  if (voteList.some((v) => !Number.isInteger(v) || v < 1))
    throw new UsageError(`--votes: expected a list like 1,2,4,8`);
  const { pairs, badLines } = readPairsSkipping(values.input, values.format as PairFormat);
  const bad = badLines.length;
  // With several vote counts, every row samples at the voting temperature (unless one is given),
  // so that vote k of a larger row is the same cached condition as vote k of a smaller one.
  const temperature =
    (values as Record<string, unknown>).temperature ??
    (voteList.some((n) => n > 1) ? String(VOTING_TEMPERATURE) : undefined);
  const built = buildJudge({ ...values, votes: "1", temperature } as typeof values);
  mkdirSync(values.output, { recursive: true });
  const rows: AccuracyRow[] = [];
  for (const votes of voteList) {
    const judge = votes === 1 || !built.withVotes ? built.judge : built.withVotes(votes);
    const verdicts = await judgeAll(pairs, judge, `votes ${votes}`);
    writeFileSync(
      join(values.output, `verdicts-votes-${votes}.jsonl`),
      verdicts.map((v, i) => JSON.stringify(verdictLine(pairs[i], v))).join("\n") + "\n",
    );
    rows.push({ votes, summary: accuracySummary(pairs, verdicts) });
  }
  built.close();
  writeFileSync(
    join(values.output, "summary.json"),
    `${JSON.stringify({ judge: built.describe(), input: values.input, skipped: bad, results: rows }, null, 2)}\n`,
  );
  console.log(
    `judge: ${built.describe()}; ${pairs.length} pairs (${rows[0].summary.labelled} labelled)${bad ? `, ${bad} malformed lines skipped` : ""}`,
  );
  printAccuracy(rows);
  writeFileSync(join(values.output, "report.html"), reportHtml(built.describe(), rows));
  console.log(`\nwrote ${join(values.output, "summary.json")} and report.html`);
  return bad > 0 ? 1 : 0;
}

type AccuracyRow = { votes: number; summary: AccuracySummary };

async function judgeAll(pairs: Pair[], judge: PairwiseJudge, label: string): Promise<Verdict[]> {
  const progress = new Progress(label, pairs.length);
  const verdicts: Verdict[] = new Array(pairs.length);
  await forEachConcurrent(
    pairs,
    64,
    (p) => judge.compare(p.prompt, p.responseA, p.responseB),
    (v, i) => {
      verdicts[i] = v;
      progress.tick();
    },
  );
  progress.finish();
  return verdicts;
}

function printAccuracy(rows: AccuracyRow[]): void {
  for (const { votes, summary: s } of rows) {
    console.log(`\nvotes ${votes}:`);
    console.log(`  accuracy (right under both orders)  ${pct(s.accuracy)}`);
    console.log(`  accuracy, response a shown first    ${pct(s.accuracyFirstOrder)}`);
    console.log(`  accuracy, response b shown first    ${pct(s.accuracySecondOrder)}`);
    console.log(`  consistency across orders           ${pct(s.consistency)}`);
    console.log(`  first-position win rate             ${pct(s.firstPositionWinRate)}`);
    console.log(`  failure rate                        ${pct(s.failureRate)}`);
    console.log(`  longer response wins                ${pct(s.longerWinRate)}`);
    for (const b of s.byLengthDifference)
      console.log(`  accuracy, ${b.bucket.padEnd(25)} ${pct(b.accuracy)}`);
    for (const k of s.byKind) console.log(`  accuracy, kind ${k.kind.padEnd(20)} ${pct(k.accuracy)}`);
  }
}

function reportHtml(judgeName: string, rows: AccuracyRow[]): string {
  return renderEvalReport({
    models: [judgeName],
    accuracy: rows.map(({ votes, summary: s }) => ({
      votes,
      rows: [
        ["accuracy (right under both orders)", s.accuracy],
        ["accuracy, a shown first", s.accuracyFirstOrder],
        ["accuracy, b shown first", s.accuracySecondOrder],
        ["consistency across orders", s.consistency],
        ["first-position win rate", s.firstPositionWinRate],
        ["failure rate", s.failureRate],
        ["longer response wins", s.longerWinRate],
        ...s.byLengthDifference.map((b) => [`accuracy, ${b.bucket}`, b.accuracy] as const),
        ...s.byKind.map((k) => [`accuracy, kind ${k.kind}`, k.accuracy] as const),
      ].map(([name, r]) => ({
        name: name as string,
        value: (r as Rate).value,
        ci: (r as Rate).ci,
        n: (r as Rate).n,
      })),
    })),
  });
}
