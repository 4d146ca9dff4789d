// `wz judge`: judge a JSONL file of pairs, write verdicts in input order, summarise.
import { createWriteStream, openSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Pair, PairFormat } from "../data/pairs.ts";
import { verdictStats } from "../judge/stats.ts";
import type { PairwiseJudge, Verdict } from "../judge/types.ts";
import { forEachConcurrent } from "../recipes/pool.ts";
import { Progress } from "../recipes/progress.ts";
import { UsageError } from "./errors.ts";
import { numberFlag } from "./flags.ts";
import { buildJudge, JUDGE_FLAGS, JUDGE_FLAGS_HELP } from "./judge-options.ts";
import { readPairsSkipping } from "./pairs-input.ts";

export const JUDGE_HELP = `wz judge --input pairs.jsonl --output verdicts.jsonl [options]

Judges each pair {id, prompt, response_a, response_b, label?} under both presentation orders
(x votes) and writes one verdict line per input line, in input order:
{id, outcome: a|b|tie|inconsistent|failed, score_a, score_b, conditions, template_version,
principles_hash, model, length_a, length_b, label?}.
A malformed input line is reported with its line number and skipped (exit code 1).
Re-running after an interruption reuses the reply cache.

  --input FILE             pairs JSONL (required)
  --output FILE            verdicts JSONL (default: stdout)
  --format F               pairs | litbench | rewardbench | auto (default auto)

${JUDGE_FLAGS_HELP}`;

export interface VerdictLine {
  id: string;
  outcome: Verdict["outcome"];
  score_a: number | null;
  score_b: number | null;
  label?: "a" | "b";
  length_a: number;
  length_b: number;
  template_version: string;
  principles_hash: string;
  model: string;
  sampling: Verdict["sampling"];
  conditions: Verdict["conditions"];
}

export function verdictLine(pair: Pair, v: Verdict): VerdictLine {
  return {
    id: pair.id,
    outcome: v.outcome,
    score_a: v.scoreA,
    score_b: v.scoreB,
    ...(pair.label ? { label: pair.label } : {}),
    length_a: v.lengthA,
    length_b: v.lengthB,
    template_version: v.templateVersion,
    principles_hash: v.principlesHash,
    model: v.model,
    sampling: v.sampling,
    conditions: v.conditions,
  };
}

export async function judgeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...JUDGE_FLAGS,
      input: { type: "string" },
      output: { type: "string" },
      format: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(JUDGE_HELP);
    return 0;
  }
  if (!values.input) throw new UsageError("--input is required (see wz judge --help)");
  const format = values.format as PairFormat;
  if (!["pairs", "litbench", "rewardbench", "auto"].includes(format)) {
    throw new UsageError(`--format: expected pairs, litbench, rewardbench or auto, got "${format}"`);
  }
  const { pairs, badLines } = readPairsSkipping(values.input, format);
  // Open the output before any work: an unwritable path fails now, with its name, not after
  // every pair has been judged.
  const out = openOutput(values.output);
  const built = buildJudge(values);
  process.stderr.write(`judging ${pairs.length} pairs with ${built.describe()}\n`);
  const window = Math.max(64, 4 * (numberFlag(values, "concurrency", { int: true, min: 1 }) ?? 16));
  const verdicts = await judgeInOrder(pairs, built.judge, window, out.stream);
  try {
    await out.close();
  } finally {
    built.close();
  }
  const stats = verdictStats(
    verdicts,
    pairs.map((p) => p.label),
  );
  process.stderr.write(summaryLines(stats, badLines.length));
  return badLines.length > 0 || stats.outcomes.failed > 0 ? 1 : 0;
}

/** --output opened now (or stdout); close() ends the file and reports a write that failed. */
function openOutput(path: string | undefined): { stream: NodeJS.WritableStream; close(): Promise<void> } {
  if (!path) return { stream: process.stdout, close: async () => {} };
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (e) {
    throw new UsageError(`--output: cannot write ${path}: ${(e as Error).message}`);
  }
  const stream = createWriteStream("", { fd });
  let writeError: Error | null = null;
  stream.on("error", (e: Error) => {
    writeError ??= e;
  });
  return {
    stream,
    async close() {
      await new Promise<void>((resolve) => stream.end(resolve));
      if (writeError) throw new Error(`--output: writing ${path} failed: ${(writeError as Error).message}`);
    },
  };
}

/**
 * Comparisons run concurrently (the backend caps requests in flight); lines are written in input
 * order through a small reorder buffer so a crash leaves a clean prefix.
 */
async function judgeInOrder(
  pairs: Pair[],
  judge: PairwiseJudge,
  window: number,
  out: NodeJS.WritableStream,
): Promise<Verdict[]> {
  const progress = new Progress("judge", pairs.length);
  const verdicts: Verdict[] = new Array(pairs.length);
  let nextToWrite = 0;
  const ready = new Map<number, string>();
  const flush = () => {
    while (ready.has(nextToWrite)) {
      out.write(ready.get(nextToWrite)!);
      ready.delete(nextToWrite);
      nextToWrite++;
    }
  };
  await forEachConcurrent(
    pairs,
    window,
    (p) => judge.compare(p.prompt, p.responseA, p.responseB),
    (v, i) => {
      verdicts[i] = v;
      ready.set(i, `${JSON.stringify(verdictLine(pairs[i], v))}\n`);
      flush();
      progress.tick(1, v.outcome === "failed" ? "(failure)" : "");
    },
  );
  progress.finish();
  return verdicts;
}

function summaryLines(stats: ReturnType<typeof verdictStats>, skipped: number): string {
  const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);
  const o = stats.outcomes;
  return (
    [
      `outcomes: a ${o.a}, b ${o.b}, tie ${o.tie}, inconsistent ${o.inconsistent}, failed ${o.failed}`,
      `consistency across orders: ${pct(stats.consistency)}; first-position win rate: ${pct(stats.firstPositionWinRate)}; failure rate: ${pct(stats.failureRate)}`,
      Object.keys(stats.failuresByKind).length
        ? `failed conditions by kind: ${Object.entries(stats.failuresByKind)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")}`
        : "",
      stats.labelled ? `accuracy on ${stats.labelled} labelled pairs: ${pct(stats.accuracy)}` : "",
      skipped ? `${skipped} malformed input line(s) skipped` : "",
    ]
      .filter(Boolean)
      .join("\n") + "\n"
  );
}
