// `wz train CONFIG` / `wz train --resume RUN`: the Writing-Zero loop end to end.
import { parseArgs } from "node:util";
import type { LayerMode } from "../model/kernels/layer-mode.ts";
import { chooseKernel } from "../recipes/kernel.ts";
import { newRun, type OpenedRun, resumeRun } from "../recipes/writing-rl/open-run.ts";
import { runWritingRl } from "../recipes/writing-rl/run.ts";
import { UsageError } from "./errors.ts";
import { numberFlag } from "./flags.ts";

export const TRAIN_HELP = `wz train CONFIG.yaml [--output DIR] [--steps N]
wz train --resume RUN_DIR [--trainer-url URL]

Runs BRPO (or the configured estimator) on the embedded engine: samples groups with llama.cpp,
judges them, updates the policy, and records every step in RUN_DIR/run.sqlite, metrics.jsonl and
TensorBoard events (RUN_DIR/tb). With "trainer: {kind: tinker, base_url, model}" in the config the
policy is trained and sampled on a Tinker-compatible service instead (docs/tinker.md); the judge,
the estimator, the store and the evaluation stay here. Prints a progress line per step; every eval.monitor_every steps
the rollouts are also graded by the evaluation judge (eval.judge: the tiny world's gold by
default), never a training signal. At the end, the final policy against the initial one on
held-out prompts: the evaluation judge's figures first, then the training judge's, labelled.
Ctrl-C stops cleanly after the current step; --resume continues a stopped or killed run and
reproduces what an uninterrupted run would have done.

  --output DIR     run folder (default: the config's "output")
  --steps N        override train.steps
  --kernel K       compute kernel: auto (the native addon, OpenBLAS and the layers in C, if
                   built; else wasm), blas (the native addon on OpenBLAS), mkl (the native
                   addon on Intel MKL, if built: faster products on Intel cores, other
                   rounding), wasm (WebAssembly SIMD: the products and the C layers over the
                   threads), reference; a resumed run reuses the kernel it started with
  --threads N      threads the native and wasm kernels split training over (default:
                   WZ_THREADS, else every core); results do not depend on it
  --layers M       the C layers' arithmetic (native and wasm kernels): exact (default:
                   double intermediates, the TypeScript layers' bits) or fast (the attention
                   softmax and SwiGLU's sigmoid in float, as PyTorch computes them; other
                   last bits; its speed gain is within a run's noise, docs/performance.md);
                   default WZ_LAYERS; a resumed run keeps its own
  --resume DIR     continue the run in DIR with its saved config
  --trainer-url U  with --resume and a remote trainer: the service's address now (it restarted
                   elsewhere; its state folder must hold the run's saved states)`;

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      resume: { type: "string" },
      "trainer-url": { type: "string" },
      output: { type: "string" },
      steps: { type: "string" },
      kernel: { type: "string", default: "auto" },
      threads: { type: "string" },
      layers: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let run: OpenedRun;
  if (values.resume) {
    run = resumeRun(values.resume);
    if (values["trainer-url"]) moveTrainer(run, values["trainer-url"], log);
  } else {
    if (values["trainer-url"])
      throw new UsageError("--trainer-url goes with --resume (a new run reads trainer.base_url)");
    if (!positionals[0]) throw new UsageError("a config file is required (see wz train --help)");
    const steps = numberFlag(values, "steps", { int: true, min: 1 });
    run = newRun(positionals[0], { output: values.output, steps }, log);
  }
  const compute = await chooseKernel(
    {
      kernel: values.kernel as string,
      threads: numberFlag(values, "threads", { int: true, min: 1 }),
      layers: values.layers as string | undefined,
    },
    run.store && {
      kernel: run.store.getMeta<string>("kernel") ?? undefined,
      layers: run.store.getMeta<LayerMode>("layers") ?? undefined,
    },
  );
  return withStopOnCtrlC(log, (shouldStop, loopDone) =>
    runWritingRl(run, compute, { log, shouldStop, loopDone }),
  );
}

/** A resumed run's remote trainer at a new address, saved in the run so later resumes use it. */
function moveTrainer(run: OpenedRun, url: string, log: (line: string) => void): void {
  const trainer = run.config.trainer;
  if (trainer.kind !== "tinker")
    throw new UsageError(
      `--trainer-url: the run in ${run.runDir} trains on the embedded engine, not on a service`,
    );
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new UsageError(`--trainer-url: "${url}" is not an http(s) URL`);
  log(`trainer.base_url: ${trainer.base_url} -> ${url}`);
  trainer.base_url = url;
  run.store!.setMeta("config", run.config);
}

/** Ctrl-C stops cleanly after the current step; a second Ctrl-C aborts at once. */
async function withStopOnCtrlC(
  log: (line: string) => void,
  body: (shouldStop: () => boolean, release: () => void) => Promise<number>,
): Promise<number> {
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log("\nstopping after the current step (Ctrl-C again to abort now)");
  };
  process.on("SIGINT", onSigint);
  const release = () => process.off("SIGINT", onSigint);
  try {
    return await body(() => stopRequested, release);
  } finally {
    release();
  }
}
