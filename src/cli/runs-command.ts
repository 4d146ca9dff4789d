// `wz runs [DIR]` lists runs; `wz show RUN [--step N]` prints a step's metrics and samples.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RunStore } from "../store/run-store.ts";
import { UsageError } from "./errors.ts";
import { numberFlag, numberOf } from "./flags.ts";

export const RUNS_HELP = `wz runs [RUNS_DIR]     list the runs under RUNS_DIR (default: runs)`;
export const SHOW_HELP = `wz show RUN [--step N] [--samples K]

Prints a step's metrics (default: the last step) and, for each group, the reference and up to K
responses (default 4) with their advantages.`;

function openStore(runDir: string): RunStore {
  const db = join(runDir, "run.sqlite");
  if (!existsSync(db)) throw new UsageError(`${runDir} is not a run folder (no run.sqlite)`);
  return new RunStore(db, { readonly: true });
}

export async function runsCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(RUNS_HELP);
    return 0;
  }
  const root = positionals[0] ?? "runs";
  if (!existsSync(root)) {
    console.log(`no runs under ${root}`);
    return 0;
  }
  let damaged = 0;
  const rows: string[][] = [["run", "status", "steps", "estimator", "judge", "win vs initial (eval judge)"]];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!existsSync(join(dir, "run.sqlite"))) continue;
    // A damaged folder is named on stderr and in the table; the others are still listed.
    let store: RunStore;
    try {
      // Opening read-only already reads the schema: a damaged file fails here.
      store = openStore(dir);
    } catch (e) {
      process.stderr.write(`wz: ${(e as Error).message}\n`);
      rows.push([dir, "damaged", "-", "-", "-", "-"]);
      damaged++;
      continue;
    }
    const config = store.getMeta<{
      estimator: { name: string };
      judge: { kind: string };
      train: { steps: number };
    }>("config");
    // The evaluation judge's tally comes first; runs from before it was recorded kept one winRate.
    const evalResult = store.getEval<{
      winRate?: number | null;
      tallies?: { judge: string; winRate: number | null }[];
      independent?: boolean;
    }>("final_vs_initial");
    const first = evalResult?.tallies?.[0];
    const win = first ? first.winRate : evalResult?.winRate;
    const by = first
      ? ` ${first.judge}${evalResult?.independent === false ? " (training judge)" : ""}`
      : " (training judge)";
    rows.push([
      dir,
      store.getMeta<string>("status") ?? "?",
      `${store.lastCompletedStep() + 1}/${config?.train.steps ?? "?"}`,
      config?.estimator.name ?? "?",
      config?.judge.kind ?? "?",
      win == null ? "-" : `${win.toFixed(3)}${by}`,
    ]);
    store.close();
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
  return damaged ? 1 : 0;
}

export async function showCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      step: { type: "string" },
      samples: { type: "string", default: "4" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(SHOW_HELP);
    return 0;
  }
  const runDir = positionals[0];
  if (!runDir) throw new UsageError("a run folder is required (see wz show --help)");
  const store = openStore(runDir);
  const last = store.lastCompletedStep();
  if (last < 0) {
    console.log(`${runDir}: no completed step yet`);
    return 0;
  }
  const step = (numberFlag(values, "step", { int: true, min: 1, max: last + 1 }) ?? last + 1) - 1;
  const metrics = store.stepMetrics().find((s) => s.step === step)!;
  console.log(`${runDir} step ${step + 1}/${last + 1} (completed ${metrics.completedAt})`);
  for (const [k, v] of Object.entries(metrics.metrics))
    console.log(`  ${k.padEnd(26)} ${v === null ? "-" : Number.isInteger(v) ? v : v.toFixed(4)}`);
  const k = numberOf(values, "samples", { int: true, min: 0 });
  const rollouts = store.rollouts(step);
  for (const g of store.groups(step)) {
    console.log(`\ngroup ${g.group}${g.dropped ? " (dropped by the skew filter)" : ""}: ${g.prompt}`);
    const mine = rollouts.filter((r) => r.group === g.group);
    const shown = [...mine.filter((r) => r.isReference), ...mine.filter((r) => !r.isReference).slice(0, k)];
    for (const r of shown) {
      const tag = r.isReference
        ? "REF"
        : `${r.advantage > 0 ? "+" : ""}${Number(r.advantage.toFixed(2))}`.padStart(3);
      console.log(`  [${tag}${r.masked ? " masked" : ""}] ${r.text.replace(/\n/g, " / ")}`);
    }
  }
  store.close();
  return 0;
}
