// `wz train CONFIG` / `wz train --resume RUN`: the Writing-Zero loop end to end.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parsePromptsJsonl } from "../data/prompts.ts";
import { headToHead } from "../eval/head-to-head.ts";
import { samplerConcurrency } from "../llm/llama-sampler.ts";
import {
  exportGguf,
  exportLoraGguf,
  mergedModel,
  saveLoraAdapter,
  saveModelFolder,
} from "../model/checkpoint.ts";
import { defaultThreads } from "../model/kernels/blas.ts";
import { type LayerMode, layerModeFromEnv, parseLayerMode } from "../model/kernels/layer-mode.ts";
import { kernelFamily, selectKernel } from "../model/kernels/select.ts";
import { parseTrainConfig, type TrainConfig } from "../rl/config.ts";
import { loadPolicy, runLoop } from "../rl/loop.ts";
import type { PromptItem } from "../rl/rollouts.ts";
import { writingTask } from "../rl/writing-task.ts";
import { createEvaluator } from "../setup/eval-judge.ts";
import { createJudge, judgeSpecFromConfig } from "../setup/judge.ts";
import { clearUnfinishedRun, runFolderState } from "../store/run-folder.ts";
import { RunStore } from "../store/run-store.ts";
import { TensorBoardWriter } from "../store/tensorboard.ts";
import { makePrompts } from "../world/constrained-writing.ts";
import { buildTinyBase } from "../world/tiny-model.ts";
import { UsageError } from "./errors.ts";
import { finalSummary } from "./final-summary.ts";
import { numberFlag } from "./flags.ts";

export const TRAIN_HELP = `wz train CONFIG.yaml [--output DIR] [--steps N]
wz train --resume RUN_DIR

Runs BRPO (or the configured estimator) on the embedded engine: samples groups with llama.cpp,
judges them, updates the policy, and records every step in RUN_DIR/run.sqlite, metrics.jsonl and
TensorBoard events (RUN_DIR/tb). Prints a progress line per step; every eval.monitor_every steps
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
  --resume DIR     continue the run in DIR with its saved config`;

async function checkJudgeReachable(config: TrainConfig): Promise<void> {
  if (config.judge.kind !== "genrm") return;
  if (config.judge.gguf) {
    if (!existsSync(config.judge.gguf))
      throw new UsageError(`judge.gguf: ${config.judge.gguf} does not exist`);
    return;
  }
  const urls = Array.isArray(config.judge.base_url) ? config.judge.base_url : [config.judge.base_url!];
  for (const u of urls) {
    const base = u.replace(/\/+$/, "").replace(/\/v1$/, "");
    try {
      const res = await fetch(`${base}/v1/models`, { signal: AbortSignal.timeout(5000) });
      if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
    } catch (e) {
      throw new UsageError(
        `judge server ${u} is not reachable (${(e as Error).message}); start it or fix judge.base_url`,
      );
    }
  }
}

function loadPrompts(config: TrainConfig): { train: PromptItem[]; evalSet: PromptItem[] } {
  const read = (path: string, key = "data.prompts") => {
    if (!existsSync(path)) throw new UsageError(`${key}: prompt file ${path} does not exist`);
    try {
      return parsePromptsJsonl(readFileSync(path, "utf8"), path);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  // A named evaluation file is always read (for tiny prompts too): never silently ignored.
  const evalFile = config.data.eval_prompts ? read(config.data.eval_prompts, "data.eval_prompts") : null;
  if (config.data.prompts === "tiny") {
    return {
      train: makePrompts(config.data.train_count, config.seed, "train"),
      evalSet: evalFile ?? makePrompts(config.data.eval_count, config.seed, "eval"),
    };
  }
  const train = read(config.data.prompts);
  if (evalFile) return { train, evalSet: evalFile };
  // No separate file: hold the last eval_count prompts out of training, so the final evaluation
  // is on prompts the policy never trained on (when there are too few, say so and share them).
  const n = config.data.eval_count;
  if (train.length >= 2 * n)
    return { train: train.slice(0, train.length - n), evalSet: train.slice(train.length - n) };
  process.stderr.write(
    `wz: only ${train.length} prompts: the final evaluation reuses training prompts (set data.eval_prompts)\n`,
  );
  return { train, evalSet: train.slice(0, n) };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      resume: { type: "string" },
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
  let config: TrainConfig;
  let runDir: string;
  let store: RunStore;
  let startStep = 0;
  if (values.resume) {
    runDir = values.resume;
    const db = join(runDir, "run.sqlite");
    if (!existsSync(db)) throw new UsageError(`--resume: ${db} does not exist`);
    // Read-only first: a SQLite file that is not a wz run's gets no tables of ours.
    const probe = new RunStore(db, { readonly: true });
    const ours = probe.isRun();
    probe.close();
    if (!ours)
      throw new UsageError(`--resume: ${db} is not the database of a wz run (it holds no run config)`);
    store = new RunStore(db);
    config = store.getMeta<TrainConfig>("config")!;
    startStep = store.lastCompletedStep() + 1;
  } else {
    const path = positionals[0];
    if (!path) throw new UsageError("a config file is required (see wz train --help)");
    if (!existsSync(path)) throw new UsageError(`config file ${path} does not exist`);
    try {
      config = parseTrainConfig(readFileSync(path, "utf8"), path);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (values.output) config.output = values.output;
    const steps = numberFlag(values, "steps", { int: true, min: 1 });
    if (steps !== undefined) config.train.steps = steps;
    runDir = config.output;
    const stepsIn = (dir: string) => runFolderState(dir)?.lastStep ?? -1;
    const existing = stepsIn(runDir);
    if (existing >= 0) {
      // An explicit --output is never overwritten; the config's default gets the next free name.
      if (values.output) {
        throw new UsageError(
          `${runDir} already holds a run (${existing + 1} steps); use --resume ${runDir} or another --output`,
        );
      }
      let k = 2;
      while (stepsIn(`${config.output}-${k}`) >= 0) k++;
      runDir = `${config.output}-${k}`;
      log(
        `${config.output} already holds a run; this one goes to ${runDir} (continue the old one with --resume ${config.output})`,
      );
      config.output = runDir;
    }
    if (existsSync(runDir) && readdirSync(runDir).length > 0) {
      // Only a folder whose own run database says it is an unfinished run of ours, with no
      // completed step, is cleared; never an arbitrary folder, whatever files it holds.
      const state = runFolderState(runDir);
      if (!state?.ours || state.lastStep >= 0 || !["running", "stopped"].includes(state.status ?? ""))
        throw new UsageError(
          `${runDir} exists and is not an unfinished run of wz train; choose another --output`,
        );
      // Only the files that run wrote: a user's own files in the folder stay where they are.
      const removed = clearUnfinishedRun(runDir);
      log(`${runDir}: removed the ${removed.length} file(s) of an unfinished run with no completed step`);
    }
  }
  // A resumed run keeps the kernel it started with: another kernel rounds differently, and the
  // resume must reproduce the uninterrupted run exactly.
  let kernelName = values.kernel as string;
  if (values.resume && kernelName === "auto") kernelName = store!.getMeta<string>("kernel") ?? "auto";
  // Threads and the layers' arithmetic are values handed to the kernel (WZ_THREADS and WZ_LAYERS
  // are their defaults); a resumed run keeps its own layers.
  const threads = numberFlag(values, "threads", { int: true, min: 1 }) ?? defaultThreads();
  let layerFlag = values.layers as string | undefined;
  if (values.resume && layerFlag === undefined) layerFlag = store!.getMeta<LayerMode>("layers") ?? undefined;
  const layers =
    layerFlag === undefined
      ? layerModeFromEnv()
      : parseLayerMode(layerFlag, "--layers", (m) => new UsageError(m));
  const kernel = await selectKernel(kernelName, threads, layers);
  if (config.model.init !== "tiny" && !existsSync(config.model.init)) {
    throw new UsageError(
      `model.init: ${config.model.init} does not exist (a Hugging Face folder, a GGUF file, or "tiny")`,
    );
  }
  const { train, evalSet } = loadPrompts(config);
  await checkJudgeReachable(config);

  const started = performance.now();
  mkdirSync(join(runDir, "checkpoints"), { recursive: true });
  store ??= new RunStore(join(runDir, "run.sqlite"));
  const initialDir = join(runDir, "checkpoints", "initial");
  if (startStep === 0) {
    store.setMeta("config", config);
    store.setMeta("kernel", kernelFamily(kernel));
    store.setMeta("layers", layers);
    writeFileSync(join(runDir, "config.resolved.json"), `${JSON.stringify(config, null, 2)}\n`);
    let baseDir = config.model.init;
    if (baseDir === "tiny")
      baseDir = buildTinyBase(config.model.tiny, config.model.cache, { log, kernel }).dir;
    // A GGUF (quantised too) is imported: its dequantised weights are the run's initial model.
    const base = loadPolicy(baseDir, kernel, log);
    saveModelFolder(initialDir, base.model, base.tokenizer);
    writeFileSync(join(runDir, "checkpoints", "initial.gguf"), exportGguf(base.model, base.tokenizer));
    store.addPrompts(train, "train");
    store.addPrompts(evalSet, "eval");
    store.setMeta("status", "running");
  }
  const policy = loadPolicy(initialDir, kernel);
  const initial = loadPolicy(initialDir, kernel);
  if (config.model.lora) {
    // Seeded init: B = 0, so step 1 samples from the base exactly; a resume overwrites it from state.
    policy.model.attachLora(config.model.lora, config.seed);
  }
  if (config.judge.kind === "genrm" && config.judge.votes > 1 && config.judge.temperature === 0)
    log(
      "wz: note: judge.votes > 1 with judge.temperature 0 asks the same question twice; raise the temperature for independent votes",
    );
  const judge = createJudge({ ...judgeSpecFromConfig(config.judge, initialDir), kernel });
  const evaluator = createEvaluator(config, judge, initialDir, [...train, ...evalSet]);
  log(
    `run ${resolve(runDir)}: ${config.estimator.name} with ${judge.describe()}, ${config.train.steps} steps x ${config.rollout.prompts_per_step} prompts x G=${config.rollout.group_size}, kernel ${kernel.name}`,
  );
  log(`evaluation judge: ${evaluator.describe()}`);
  if (!evaluator.independent)
    log(
      "warning: the evaluation judge is the training judge; the policy was trained to please it, so its win rate is not evidence of better writing (set eval.judge)",
    );
  const tb = new TensorBoardWriter(join(runDir, "tb"));

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log("\nstopping after the current step (Ctrl-C again to abort now)");
  };
  process.on("SIGINT", onSigint);
  let result: Awaited<ReturnType<typeof runLoop>>;
  try {
    result = await runLoop(
      {
        config,
        runDir,
        store,
        policy: policy.model,
        initial: initial.model,
        tokenizer: policy.tokenizer,
        task: writingTask({
          judge: judge.judge,
          scorer: judge.scorer,
          estimator: config.estimator,
          seed: config.seed,
        }),
        monitor: config.eval.monitor_every > 0 && evaluator.independent ? evaluator.monitor : undefined,
        onMetrics: (step, metrics) => tb.scalars(step + 1, metrics),
        trainPrompts: train,
        log,
        progress: log,
        shouldStop: () => stopRequested,
      },
      startStep,
    );
  } finally {
    process.off("SIGINT", onSigint);
  }
  if (result.stopped || result.completed < config.train.steps) {
    tb.close();
    evaluator.close();
    store.setMeta("status", "stopped");
    if (result.judgeFailing) log(`wz: stopped: ${result.judgeFailing}`);
    log(`stopped after step ${result.completed}; continue with: wz train --resume ${runDir}`);
    store.close();
    judge.close();
    return result.judgeFailing ? 1 : 0;
  }

  if (policy.model.lora) saveLoraAdapter(join(runDir, "final-adapter"), policy.model.lora);
  const finalModel = mergedModel(policy.model);
  saveModelFolder(join(runDir, "final"), finalModel, policy.tokenizer);
  const finalGguf = join(runDir, "final.gguf");
  writeFileSync(finalGguf, exportGguf(finalModel, policy.tokenizer));
  // A LoRA policy is evaluated as its sampler saw it: the frozen base as sampled (in
  // rollout.sampler_weights; for a base imported from a Q4_1 file, its own values) with the final
  // adapter, against that base alone. Both sides share the base's arithmetic, and a quantised base
  // samples several times faster than the merged f32 model.
  let evalA = { gguf: finalGguf, lora: undefined as string | undefined };
  let evalB = join(runDir, "checkpoints", "initial.gguf");
  if (policy.model.lora) {
    const adapter = join(runDir, "final-adapter.gguf");
    writeFileSync(adapter, exportLoraGguf(policy.model.lora));
    evalA = { gguf: join(runDir, "policy.gguf"), lora: adapter };
    evalB = join(runDir, "policy.gguf");
  }
  log(`evaluating the final policy against the initial one on ${evalSet.length} held-out prompts ...`);
  const judges = evaluator.independent ? [evaluator.judge, judge.judge] : [judge.judge];
  const h2h = await headToHead({
    ggufA: evalA.gguf,
    loraA: evalA.lora,
    ggufB: evalB,
    tokenizer: policy.tokenizer,
    prompts: evalSet,
    samplesPerPrompt: config.eval.samples_per_prompt,
    temperature: config.eval.temperature,
    maxTokens: config.rollout.max_tokens,
    seed: config.seed,
    judges,
    threads: config.rollout.sampler_threads,
    concurrency: samplerConcurrency(config.rollout.sampler_concurrency, config.rollout.sampler_threads),
    summarize: evaluator.monitor.summarize,
  });
  const minutes = (performance.now() - started) / 60000;
  store.setEval("final_vs_initial", {
    ...h2h,
    evalJudge: evaluator.judge.name,
    trainingJudge: judge.judge.name,
    independent: evaluator.independent,
    minutes,
  });
  store.setMeta("status", "completed");
  const summary = [
    "",
    finalSummary(h2h, {
      prompts: evalSet.length,
      samples: config.eval.samples_per_prompt,
      independent: evaluator.independent,
    }),
    `  time ${minutes.toFixed(1)} min; run folder ${runDir} (final model in ${join(runDir, "final")}; wz report ${runDir} draws the curves)`,
  ].join("\n");
  console.log(summary);
  writeFileSync(join(runDir, "summary.txt"), `${summary.trim()}\n`);
  tb.close();
  store.close();
  judge.close();
  evaluator.close();
  // An evaluation in which a judge never succeeded is no evaluation: say so and fail.
  const empty = h2h.tallies.filter((t) => t.pairs > 0 && t.failed === t.pairs);
  if (empty.length) {
    log(`wz: the final evaluation has no successful comparison by ${empty.map((t) => t.judge).join(", ")}`);
    return 1;
  }
  return 0;
}
