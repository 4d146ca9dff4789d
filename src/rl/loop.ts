// The Writing-Zero loop on the embedded engine. It only sequences; each part is its own module:
//   prompts -> sample G responses each (Sampler, llama.cpp by default; rollouts.ts)
//   -> the task's group reward (judge + estimator, BRPO by default; task.ts, writing-task.ts)
//   -> training items (data.ts) -> one clipped policy update (update.ts)
//   -> weight sync (export GGUF, reload) -> metrics (metrics.ts), the independent monitor
//   (monitor.ts) -> state checkpoint (state.ts) and the step's store transaction.
// Every random choice derives from (seed, step, group), and the optimizer state is saved with
// each step, so a run killed at any moment resumes to the same rollouts and weights.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PromptItem, Rollout } from "../data/prompts.ts";
import type { Sampler } from "../llm/types.ts";
import { loadModelFolder } from "../model/checkpoint.ts";
import type { DecoderModel } from "../model/decoder.ts";
import { importGguf } from "../model/gguf-import.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import { derivedSeed, sampleWithoutReplacement, seededRandom } from "../model/random.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import type { RunStore } from "../store/run-store.ts";
import type { LoopConfig } from "./config.ts";
import { trainingItems } from "./data.ts";
import type { GroupAdvantages } from "./estimators/types.ts";
import { LocalTrainer, lrOf } from "./local-trainer.ts";
import { type Metrics, stepMetrics } from "./metrics.ts";
import { type EvalMonitor, monitorStep } from "./monitor.ts";
import { promptsForRound } from "./policies/dynamic-sampling.ts";
import type { StepPolicy } from "./policies/types.ts";
import type { PolicyTrainer } from "./policy-trainer.ts";
import { sampleGroups } from "./rollouts.ts";
import { statePath } from "./state.ts";
import { figure, groupProgress, type Task } from "./task.ts";

export { scheduleOf } from "./local-trainer.ts";
export { statePath } from "./state.ts";

export interface LoopContext {
  config: LoopConfig;
  runDir: string;
  store: RunStore;
  /**
   * Where the policy is trained and sampled; without one, the embedded engine trains `policy`
   * against `initial` (the frozen KL reference) and llama.cpp samples it (or `sampler`).
   */
  trainer?: PolicyTrainer;
  policy?: DecoderModel;
  initial?: DecoderModel;
  tokenizer: TextTokenizer;
  /** The prompts and the group reward. */
  task: Task;
  trainPrompts: PromptItem[];
  /** The independent judge that grades rollouts every `eval.monitor_every` steps; never a training signal. */
  monitor?: EvalMonitor;
  /** The local trainer's sampler: llama.cpp in-process by default; tests hand in a scripted one. */
  sampler?: Sampler;
  /** Read each finished step: warnings, and a reason to stop (judge failures, over-optimisation). */
  policies?: StepPolicy[];
  /** Called with each step's metrics after they are stored (TensorBoard, dashboards). */
  onMetrics?: (step: number, metrics: Metrics) => void;
  log: (line: string) => void;
  progress: (line: string) => void;
  shouldStop: () => boolean;
}

export async function runLoop(
  ctx: LoopContext,
  startStep: number,
): Promise<{ completed: number; stopped: boolean; stopReason?: string }> {
  const { config, runDir, store, tokenizer: tok, task, log } = ctx;
  let stopReason: string | undefined;
  const trainer = ctx.trainer ?? localTrainer(ctx);
  if (startStep > 0) {
    await trainer.restore(startStep - 1);
    trainer.pruneStates(startStep - 1);
    log(`resumed after step ${startStep} from ${statePath(runDir, startStep - 1)}`);
  }
  const sampler = await trainer.start();
  const G = config.rollout.group_size;
  const started = performance.now();
  let stopped = false;
  let step = startStep;
  try {
    for (; step < config.train.steps; step++) {
      const t0 = performance.now();
      // 1. prompts for this step: a seeded draw without replacement (or the task's own draw)
      const draw = (round: number, count: number): PromptItem[] =>
        task.drawPrompts
          ? task.drawPrompts(step, count, round)
          : sampleWithoutReplacement(
              ctx.trainPrompts.length,
              Math.min(count, ctx.trainPrompts.length),
              round === 0
                ? seededRandom(config.seed, "prompts", step)
                : seededRandom(config.seed, "prompts", step, round),
            ).map((i) => ctx.trainPrompts[i]);
      const prompts: PromptItem[] = [];
      const groups: Rollout[][] = [];
      const estimates: GroupAdvantages[] = [];
      let sampleMs = 0;
      let judgeMs = 0;
      let refills = 0;
      for (let round = 0; ; round++) {
        const count = promptsForRound(config.rollout, round, estimates.filter((e) => !e.dropped).length);
        if (count === null) break;
        if (round > 0) refills++;
        const ta = performance.now();
        const roundPrompts = draw(round, count);
        const offset = groups.length;
        // 2. sample
        const roundGroups = await sampleGroups(sampler, tok, roundPrompts, {
          n: G,
          temperature: config.rollout.temperature,
          topP: config.rollout.top_p,
          maxTokens: config.rollout.max_tokens,
          seedFor: (g) => derivedSeed(config.seed, "sample", step, g + offset) & 0x7fffffff,
        });
        roundGroups.forEach((grp) => {
          for (const r of grp) r.group += offset;
        });
        const tb = performance.now();
        // 3. the task's reward: advantages, masks, dropped groups
        const texts = roundGroups.map((grp) => grp.map((r) => r.text));
        const roundEstimates: GroupAdvantages[] = task.scoreStep
          ? task.scoreStep(roundPrompts, texts)
          : await Promise.all(
              roundGroups.map((_, g) =>
                task.scoreGroup(roundPrompts[g], texts[g], { step, group: g + offset }),
              ),
            );
        prompts.push(...roundPrompts);
        groups.push(...roundGroups);
        estimates.push(...roundEstimates);
        sampleMs += tb - ta;
        judgeMs += performance.now() - tb;
      }
      const t2 = performance.now();
      // 4. policy update: masked members and dropped groups contribute nothing
      const items = trainingItems(groups, estimates);
      const lr = lrOf(config, step);
      const update = await trainer.update(items, {
        lr,
        epochs: config.train.epochs,
        minibatches: config.train.minibatches,
        clipLow: config.train.clip_low,
        clipHigh: config.train.clip_high,
        klCoef: config.train.kl_coef,
        packMiB: config.train.pack_mib,
        random: seededRandom(config.seed, "minibatch", step),
      });
      const t3 = performance.now();
      // 5. weight sync: the next samples come from the new weights
      await trainer.sync();
      const t4 = performance.now();

      // 6. metrics: the loop's own, every k steps the independent judge's view of the same
      // rollouts, and the task's
      const metrics: Metrics = stepMetrics({
        step,
        lr,
        groups,
        estimates,
        update,
        trainedSequences: items.length,
      });
      const every = config.eval.monitor_every;
      if (
        ctx.monitor &&
        every > 0 &&
        ((step + 1) % every === 0 || step === 0 || step + 1 === config.train.steps)
      )
        Object.assign(metrics, await monitorMetrics(ctx.monitor, task, prompts, groups, estimates));
      const texts = groups.map((grp) => grp.map((r) => r.text));
      if (task.stepMetrics) Object.assign(metrics, task.stepMetrics(prompts, texts));
      if (config.rollout.dynamic_sampling) metrics.dynamic_refills = refills;
      metrics.time_sample_s = sampleMs / 1000;
      metrics.time_judge_s = judgeMs / 1000;
      metrics.time_train_s = (t3 - t2) / 1000;
      metrics.time_sync_s = (t4 - t3) / 1000;

      // 7. persist: state first (named by step), then the step's transaction, then prune
      const t5 = performance.now();
      await trainer.saveState(step);
      metrics.time_store_s = (performance.now() - t5) / 1000;
      metrics.time_step_s = (performance.now() - t0) / 1000;
      store.commitStep(stepRecord(step, prompts, groups, estimates, metrics));
      trainer.pruneStates(step);
      writeFileSync(join(runDir, "metrics.jsonl"), `${JSON.stringify(metrics)}\n`, { flag: "a" });
      ctx.onMetrics?.(step, metrics);
      if ((step + 1) % config.train.checkpoint_every === 0 || step + 1 === config.train.steps)
        await trainer.checkpoint(step);

      const elapsed = (performance.now() - started) / 1000;
      const done = step + 1 - startStep;
      const eta = (elapsed / done) * (config.train.steps - step - 1);
      ctx.progress(progressLine(step, config.train.steps, eta, metrics, task));
      // 8. the recipe's policies read the step: warnings, or a reason to stop
      for (const p of ctx.policies ?? []) {
        const outcome = p.afterStep(step, metrics, estimates);
        for (const w of outcome.warnings ?? []) log(w);
        stopReason ??= outcome.stop;
      }
      if (ctx.shouldStop() || stopReason) {
        stopped = step + 1 < config.train.steps;
        step++;
        break;
      }
    }
  } finally {
    await trainer.close();
  }
  return { completed: step, stopped, stopReason };
}

function localTrainer(ctx: LoopContext): PolicyTrainer {
  if (!ctx.policy || !ctx.initial)
    throw new Error("runLoop needs a trainer, or a policy and its initial copy");
  return new LocalTrainer({
    config: ctx.config,
    runDir: ctx.runDir,
    policy: ctx.policy,
    initial: ctx.initial,
    tokenizer: ctx.tokenizer,
    sampler: ctx.sampler,
  });
}

/** The independent judge's figures on the step's rollouts, and the training reward's own score. */
async function monitorMetrics(
  monitor: EvalMonitor,
  task: Task,
  prompts: PromptItem[],
  groups: Rollout[][],
  estimates: GroupAdvantages[],
): Promise<Metrics> {
  const texts = groups.map((grp, g) => ({ prompt: prompts[g].prompt, responses: grp.map((r) => r.text) }));
  const metrics: Metrics = await monitorStep(monitor, texts, estimates);
  if (task.proxyScore) {
    const scores = await Promise.all(
      groups.flatMap((grp, g) => grp.map((r) => task.proxyScore!(prompts[g], r.text))),
    );
    const ok = scores.filter((x): x is number => x !== null);
    metrics.proxy_score_mean = ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
  }
  return metrics;
}

function progressLine(step: number, steps: number, eta: number, m: Metrics, task: Task): string {
  const f = figure;
  const gold =
    m.eval_score_mean != null
      ? ` | eval: score ${f(m.eval_score_mean)} fluent ${f(m.eval_fluent)} met ${f(m.eval_all_met)}`
      : "";
  const head = `step ${step + 1}/${steps} ${f(m.time_step_s, 1)}s ETA ${Math.round(eta)}s`;
  const tail = `kl ${f(m.kl_to_initial, 3)} ent ${f(m.entropy)} clip ${f(m.clip_fraction)} |g| ${f(m.grad_norm)}`;
  return `${head} | ${(task.progress ?? groupProgress)(m)} | ${tail}${gold}`;
}

function stepRecord(
  step: number,
  prompts: PromptItem[],
  groups: Rollout[][],
  estimates: GroupAdvantages[],
  metrics: Metrics,
) {
  return {
    step,
    metrics,
    groups: estimates.map((e, g) => ({
      step,
      group: g,
      promptId: prompts[g].id,
      prompt: prompts[g].prompt,
      referenceIndices: e.referenceIndices,
      dropped: e.dropped,
      stats: { ...e.stats, estimator: e.estimator, judgeCalls: e.judgeCalls },
    })),
    rollouts: groups.flatMap((grp, g) =>
      grp.map((r, i) => ({
        step,
        group: g,
        member: i,
        promptId: prompts[g].id,
        text: r.text,
        tokens: r.responseTokens.length,
        finishReason: r.finishReason,
        advantage: estimates[g].advantages[i],
        masked: estimates[g].masked[i],
        isReference: estimates[g].referenceIndices.includes(i),
        reward: estimates[g].rewards?.[i] ?? null,
      })),
    ),
    comparisons: estimates.flatMap((e, g) =>
      e.comparisons.map((c) => ({
        step,
        group: g,
        member: c.member,
        against: c.against,
        outcome: c.outcome,
        score: c.score,
        verdict: c.verdict,
      })),
    ),
  };
}

/** A model folder, or a GGUF file (imported: dequantised to f32), with its tokenizer. */
export function loadPolicy(
  dir: string,
  kernel?: ComputeBackend,
  log?: (line: string) => void,
): { model: DecoderModel; tokenizer: TextTokenizer } {
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  if (dir.endsWith(".gguf")) return importGguf(dir, { kernel, log });
  const { model, tokenizer } = loadModelFolder(dir, kernel);
  if (!tokenizer) throw new Error(`${dir}: no tokenizer.json: the sampler needs the model's tokenizer`);
  return { model, tokenizer };
}
