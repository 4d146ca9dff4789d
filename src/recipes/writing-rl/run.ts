// The writing recipe (wz train): a base, a training judge, the loop with the writing task, and one
// finishing step (merge, export, the final evaluation against the initial policy by the evaluation
// judge). The CLI hands it an opened run and a kernel; everything between is composed here.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PromptItem } from "../../data/prompts.ts";
import { exportGguf, saveModelFolder } from "../../model/checkpoint.ts";
import type { LayerMode } from "../../model/kernels/layer-mode.ts";
import { kernelFamily } from "../../model/kernels/select.ts";
import type { ComputeBackend } from "../../model/kernels/types.ts";
import { loadPolicy, runLoop } from "../../rl/loop.ts";
import { warnOnCutCritiques } from "../../rl/policies/judge-cut.ts";
import { stopOnJudgeFailures } from "../../rl/policies/judge-failures.ts";
import { warnOnOverOptimisation } from "../../rl/policies/over-optimisation.ts";
import { RunStore } from "../../store/run-store.ts";
import { TensorBoardWriter } from "../../store/tensorboard.ts";
import { createEvaluator } from "../evaluator.ts";
import { judgeSpecFromConfig } from "../judges/config.ts";
import { checkGenRMReachable } from "../judges/genrm.ts";
import { createJudge } from "../judges/index.ts";
import { baseModelPath, checkBaseExists } from "../model-block.ts";
import { remoteTrainer } from "../trainer-block.ts";
import type { TrainConfig } from "./config.ts";
import { finishWritingRun } from "./finish.ts";
import type { OpenedRun } from "./open-run.ts";
import { loadPrompts } from "./prompts.ts";
import { writingTask } from "./task.ts";
import { ensureTrainedJudge } from "./trained-judge.ts";

export interface WritingRunHooks {
  log: (line: string) => void;
  /** Polled after each step: true stops the run cleanly (it can be resumed). */
  shouldStop: () => boolean;
  /** Called when the loop is over (the CLI stops catching Ctrl-C: the final evaluation is not resumable). */
  loopDone?: () => void;
}

/** Runs (or resumes) the recipe to the end; returns the exit code (1: the judge failed). */
export async function runWritingRl(
  run: OpenedRun,
  compute: { kernel: ComputeBackend; layers: LayerMode },
  hooks: WritingRunHooks,
): Promise<number> {
  const { runDir, startStep } = run;
  const { kernel } = compute;
  const log = hooks.log;
  checkBaseExists(run.config.model); // before any work: the prompts, the judge, the run folder
  const config = await withTrainedJudge(run.config, kernel, log);
  const { train, evalSet } = loadPrompts(config, log);
  await checkGenRMReachable(config.judge);
  const started = performance.now();
  mkdirSync(join(runDir, "checkpoints"), { recursive: true });
  const store = run.store ?? new RunStore(join(runDir, "run.sqlite"));
  const initialDir = join(runDir, "checkpoints", "initial");
  if (startStep === 0) writeInitial(config, runDir, store, compute, { train, evalSet }, log);
  const initial = loadPolicy(initialDir, kernel);
  // A remote trainer holds the policy on its service: only the initial model is loaded here (the
  // tokenizer, the evaluation's baseline).
  const remote =
    config.trainer.kind === "tinker" ? remoteTrainer(config.trainer, config, runDir, log) : undefined;
  const policy = remote ? null : loadPolicy(initialDir, kernel);
  // Seeded init: B = 0, so step 1 samples from the base exactly; a resume overwrites it from state.
  if (config.model.lora) policy?.model.attachLora(config.model.lora, config.seed);
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
  if (remote) log(`policy trainer: ${remote.describe()}`);
  if (!evaluator.independent)
    log(
      "warning: the evaluation judge is the training judge; the policy was trained to please it, so its win rate is not evidence of better writing (set eval.judge)",
    );
  const tb = new TensorBoardWriter(join(runDir, "tb"));
  const close = () => {
    tb.close();
    store.close();
    judge.close();
    evaluator.close();
  };
  const result = await runLoop(
    {
      config,
      runDir,
      store,
      trainer: remote,
      policy: policy?.model,
      initial: initial.model,
      tokenizer: initial.tokenizer,
      task: writingTask({
        judge: judge.judge,
        scorer: judge.scorer,
        estimator: config.estimator,
        seed: config.seed,
      }),
      monitor: config.eval.monitor_every > 0 && evaluator.independent ? evaluator.monitor : undefined,
      policies: [
        warnOnOverOptimisation(
          config.eval.warn_window,
          store.stepMetrics().map((r) => r.metrics),
        ),
        warnOnCutCritiques(config.judge.max_tokens),
        stopOnJudgeFailures(config.train),
      ],
      onMetrics: (step, metrics) => tb.scalars(step + 1, metrics),
      trainPrompts: train,
      log,
      progress: log,
      shouldStop: hooks.shouldStop,
    },
    startStep,
  );
  hooks.loopDone?.();
  if (result.stopped || result.completed < config.train.steps) {
    store.setMeta("status", "stopped");
    if (result.stopReason) log(`wz: stopped: ${result.stopReason}`);
    log(`stopped after step ${result.completed}; continue with: wz train --resume ${runDir}`);
    close();
    return result.stopReason ? 1 : 0;
  }
  try {
    // A remote run's final weights: downloaded and evaluated like a local run's, or sampled there.
    let final = policy;
    if (remote && config.trainer.kind === "tinker" && config.trainer.download) {
      await remote.download(join(runDir, "final"));
      final = loadPolicy(join(runDir, "final"), kernel);
    }
    return await finishWritingRun({
      config,
      runDir,
      store,
      policy: final ?? { remote: remote!.sampler, tokenizer: initial.tokenizer },
      evalSet,
      judge,
      evaluator,
      started,
      log,
    });
  } finally {
    close();
  }
}

/** With a genrm block, the judge it trains first (or finds in its cache) becomes judge.gguf. */
async function withTrainedJudge(
  config: TrainConfig,
  kernel: ComputeBackend,
  log: (line: string) => void,
): Promise<TrainConfig> {
  if (!config.genrm) return config;
  const trained = await ensureTrainedJudge(
    config.genrm,
    config.seed,
    { model: config.model, temperature: config.rollout.temperature, maxTokens: config.rollout.max_tokens },
    { kernel, log },
  );
  return { ...config, judge: { ...config.judge, gguf: trained.gguf } };
}

/** A new run's first writes: its config, kernel, the initial policy (folder and GGUF), its prompts. */
function writeInitial(
  config: TrainConfig,
  runDir: string,
  store: RunStore,
  compute: { kernel: ComputeBackend; layers: LayerMode },
  prompts: { train: PromptItem[]; evalSet: PromptItem[] },
  log: (line: string) => void,
): void {
  store.setMeta("config", config);
  store.setMeta("kernel", kernelFamily(compute.kernel));
  store.setMeta("layers", compute.layers);
  writeFileSync(join(runDir, "config.resolved.json"), `${JSON.stringify(config, null, 2)}\n`);
  // A GGUF (quantised too) is imported: its dequantised weights are the run's initial model.
  const base = loadPolicy(baseModelPath(config.model, { kernel: compute.kernel, log }), compute.kernel, log);
  saveModelFolder(join(runDir, "checkpoints", "initial"), base.model, base.tokenizer);
  writeFileSync(join(runDir, "checkpoints", "initial.gguf"), exportGguf(base.model, base.tokenizer));
  store.addPrompts(prompts.train, "train");
  store.addPrompts(prompts.evalSet, "eval");
  store.setMeta("status", "running");
}
