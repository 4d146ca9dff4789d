// `wz experiment FILE`: the reward-hacking contrast (recipes/experiment/run.ts).
import { parseArgs } from "node:util";
import { readConfig, runExperiment } from "../recipes/experiment/run.ts";
import { UsageError } from "./errors.ts";

export const EXPERIMENT_HELP = `wz experiment FILE [--output DIR] [--kernel auto|blas|mkl|wasm|reference]

The reward-hacking contrast of the Writing-Zero paper on the tiny world, end to end and
resumable (run the same command again after a stop; finished stages are kept):
  prompts and pairs   tiny-world pairs rated by each labeller (label noise, raters who lean
                      towards longer or self-explaining responses when the gold sees little
                      difference), with pairs.on_policy also pairs of the base model's own two
                      samples of a prompt; held-out pairs labelled by the gold
  judges              a scalar Bradley-Terry reward model (wz train-rm) and a GenRM (wz genrm
                      train) on the same rated pairs, per labeller an arm uses
  arms                wz train per arm and seed, from the same base, prompts and steps
  figures             every final policy graded by the gold on held-out prompts: a table on stdout
                      (mean [95% t-interval] across seeds), DIR/results.json, DIR/report.html

Stage logs are in DIR/logs. The example: examples/experiment/config.yaml.`;

export async function experimentCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: "string" },
      kernel: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(EXPERIMENT_HELP);
    return 0;
  }
  if (!positionals[0]) throw new UsageError("usage: wz experiment FILE [--output DIR]");
  const config = readConfig(positionals[0]);
  const out = values.output ?? config.output;
  return runExperiment(config, { origin: positionals[0], out, kernel: values.kernel as string });
}
