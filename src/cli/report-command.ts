// `wz report RUN [--output FILE] [--steps 1,20,40]`
import { existsSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { renderRunReport } from "../report/run-report.ts";
import { RunStore } from "../store/run-store.ts";
import { UsageError } from "./errors.ts";

export const REPORT_HELP = `wz report RUN [--output FILE] [--steps 1,20,40]

Writes one self-contained HTML file (no network needed to open it): charts of reward and win
rate, constraints met, length, over-explanation, judge consistency and failures, dropped groups,
KL, entropy, clip fraction and step time; and a sample browser for the chosen steps (default:
first, middle, last) with each group's reference, advantages and the judge's critiques.
Default output: RUN/report.html.`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: "string" }, steps: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(REPORT_HELP);
    return 0;
  }
  const run = positionals[0];
  if (!run) throw new UsageError("a run folder is required (see wz report --help)");
  if (!existsSync(join(run, "run.sqlite")))
    throw new UsageError(`${run} is not a run folder (no run.sqlite)`);
  const steps = values.steps?.split(",").map(Number);
  if (steps?.some((s) => !Number.isInteger(s) || s < 1))
    throw new UsageError("--steps: expected step numbers like 1,20,40");
  const store = new RunStore(join(run, "run.sqlite"), { readonly: true });
  const html = renderRunReport(store, basename(run), steps);
  store.close();
  const out = values.output ?? join(run, "report.html");
  writeFileSync(out, html);
  console.log(`wrote ${out}`);
  return 0;
}
