// The Writing-Zero loop on the embedded engine. One step:
//   prompts -> sample G responses each (llama.cpp) -> judge + estimator (BRPO by default)
//   -> clipped policy update (our trainer) -> weight sync (export GGUF, reload) -> metrics
//   -> state checkpoint and the step's store transaction.
// Every random choice derives from (seed, step, group), and the optimizer state is saved with
// each step, so a run killed at any moment resumes to the same rollouts and weights.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diagnose, mean } from "../eval/diagnostics.ts";
import { extractConstraints, satisfiedShare } from "../judge/constraints.ts";
import type { PairwiseJudge } from "../judge/types.ts";
import { LlamaSampler } from "../llm/llama-sampler.ts";
import {
  exportGguf,
  exportLoraGguf,
  loadModelFolder,
  saveLoraAdapter,
  saveModelFolder,
} from "../model/checkpoint.ts";
import type { MatmulKernel } from "../model/kernels/types.ts";
import { AdamW, clipGradNorm, learningRate, type Schedule } from "../model/optimizer.ts";
import type { Qwen3Model } from "../model/qwen3.ts";
import { decodeSafetensors, encodeSafetensors } from "../model/safetensors.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import type { BuiltJudge } from "../setup/judge.ts";
import type { RunStore } from "../store/run-store.ts";
import type { TrainConfig } from "./config.ts";
import { estimateGroup, type GroupAdvantages } from "./estimators/index.ts";
import { policyLoss } from "./policy-loss.ts";
import { derivedSeed, sampleWithoutReplacement, seededRandom } from "./random.ts";
import { type PromptItem, type Rollout, sampleGroups } from "./rollouts.ts";

export interface LoopContext {
  config: TrainConfig;
  runDir: string;
  store: RunStore;
  policy: Qwen3Model;
  /** The frozen initial policy: KL reference and the evaluation baseline. */
  initial: Qwen3Model;
  tokenizer: TextTokenizer;
  judge: BuiltJudge;
  trainPrompts: PromptItem[];
  log: (line: string) => void;
  progress: (line: string) => void;
  shouldStop: () => boolean;
}

const STATE_PREFIX = "state-";

export function statePath(runDir: string, step: number): string {
  return join(runDir, "checkpoints", `${STATE_PREFIX}${String(step).padStart(6, "0")}`);
}

/** Weights and optimizer moments after `step`, written atomically (tmp + rename). */
function saveState(runDir: string, step: number, policy: Qwen3Model, opt: AdamW): void {
  const final = statePath(runDir, step);
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const { params } = policy.trainable();
  const n = params.data.length;
  writeFileSync(
    join(tmp, "state.safetensors"),
    encodeSafetensors(
      new Map([
        ["params", { shape: [n], data: params.data }],
        ["adam.m", { shape: [n], data: opt.m }],
        ["adam.v", { shape: [n], data: opt.v }],
      ]),
      { step: String(step), adam_t: String(opt.t) },
    ),
  );
  writeFileSync(join(tmp, "state.json"), JSON.stringify({ step, adamT: opt.t }));
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
}

function loadState(runDir: string, step: number, policy: Qwen3Model, opt: AdamW): void {
  const dir = statePath(runDir, step);
  const tensors = decodeSafetensors(readFileSync(join(dir, "state.safetensors")), dir);
  const { adamT } = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { adamT: number };
  policy.trainable().params.data.set(tensors.get("params")!.data);
  opt.load({ t: adamT, m: tensors.get("adam.m")!.data, v: tensors.get("adam.v")!.data });
}

/** Keeps only the state of `keep`; removes older ones and any written past it by a killed step. */
function pruneStates(runDir: string, keep: number): void {
  const dir = join(runDir, "checkpoints");
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(STATE_PREFIX)) continue;
    const step = Number(name.slice(STATE_PREFIX.length).replace(".tmp", ""));
    if (step !== keep || name.endsWith(".tmp")) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function writeAtomic(path: string, bytes: Buffer): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}

/**
 * Weight sync: full weights are re-exported as GGUF; with LoRA the base GGUF is written once and
 * only the adapter is re-exported, then loaded by llama.cpp at context creation.
 */
async function syncSampler(
  sampler: LlamaSampler,
  runDir: string,
  policy: Qwen3Model,
  tok: TextTokenizer,
  first: boolean,
) {
  const gguf = join(runDir, "policy.gguf");
  if (!policy.lora) {
    writeAtomic(gguf, exportGguf(policy, tok, "f32"));
    await sampler.load(gguf);
    return;
  }
  if (first) writeAtomic(gguf, exportGguf(policy, tok, "f32"));
  const adapter = join(runDir, "policy-adapter.gguf");
  writeAtomic(adapter, exportLoraGguf(policy.lora));
  await sampler.load(gguf, [{ filePath: adapter, scale: 1 }]);
}

/** Response-token log-probabilities (and entropies) of one rollout under a model. */
function responseLogprobs(model: Qwen3Model, r: Rollout, keep: boolean) {
  const full = r.promptTokens.concat(r.responseTokens);
  const P = r.promptTokens.length;
  const targets = full.map((_, t) => (t >= P - 1 && t < full.length - 1 ? full[t + 1] : -1));
  const { logprobs, entropy } = model.forward(full, targets, keep);
  return {
    logp: logprobs.slice(P - 1, full.length - 1),
    entropy: entropy.slice(P - 1, full.length - 1),
    length: full.length,
    P,
  };
}

export function scheduleOf(config: TrainConfig): Schedule {
  return config.train.schedule === "constant"
    ? { kind: "constant" }
    : { kind: "cosine", warmupSteps: config.train.warmup_steps, totalSteps: config.train.steps };
}

export async function runLoop(
  ctx: LoopContext,
  startStep: number,
): Promise<{ completed: number; stopped: boolean }> {
  const { config, runDir, store, policy, initial, tokenizer: tok, judge, log } = ctx;
  const trainable = policy.trainable();
  const opt = new AdamW(trainable.params.specs, trainable.params.data.length, {
    lr: config.train.lr,
    weightDecay: config.train.weight_decay,
  });
  if (startStep > 0) {
    loadState(runDir, startStep - 1, policy, opt);
    pruneStates(runDir, startStep - 1);
    log(`resumed after step ${startStep} from ${statePath(runDir, startStep - 1)}`);
  }
  const sampler = new LlamaSampler(1024);
  await syncSampler(sampler, runDir, policy, tok, true);
  const schedule = scheduleOf(config);
  const G = config.rollout.group_size;
  const started = performance.now();
  let stopped = false;
  let step = startStep;
  try {
    for (; step < config.train.steps; step++) {
      const t0 = performance.now();
      // 1. prompts for this step: a seeded draw without replacement
      const pick = sampleWithoutReplacement(
        ctx.trainPrompts.length,
        Math.min(config.rollout.prompts_per_step, ctx.trainPrompts.length),
        seededRandom(config.seed, "prompts", step),
      );
      const prompts = pick.map((i) => ctx.trainPrompts[i]);
      // 2. sample
      const groups = await sampleGroups(sampler, tok, prompts, {
        n: G,
        temperature: config.rollout.temperature,
        topP: config.rollout.top_p,
        maxTokens: config.rollout.max_tokens,
        seedFor: (g) => derivedSeed(config.seed, "sample", step, g) & 0x7fffffff,
      });
      const t1 = performance.now();
      // 3. judge and estimate
      const estimates: GroupAdvantages[] = await Promise.all(
        groups.map((grp, g) =>
          estimateGroup(
            { prompt: prompts[g].prompt, responses: grp.map((r) => r.text) },
            judge.judge as PairwiseJudge,
            {
              estimator: config.estimator.name,
              seed: config.seed,
              step,
              groupId: g,
              skewThreshold: config.estimator.skew_threshold,
              tie: config.estimator.tie,
              inconsistent: config.estimator.inconsistent,
              references: config.estimator.references,
              subgroupSize: config.estimator.subgroup_size,
              scorer: judge.scorer,
            },
          ),
        ),
      );
      const t2 = performance.now();
      // 4. policy update: masked members and dropped groups contribute nothing
      const items: { r: Rollout; advantage: number }[] = [];
      groups.forEach((grp, g) => {
        const est = estimates[g];
        if (est.dropped) return;
        grp.forEach((r, i) => {
          if (!est.masked[i]) items.push({ r, advantage: est.advantages[i] });
        });
      });
      // Log-probabilities under the weights that sampled. With a single update per step the
      // training forward pass runs on those same weights, so it supplies them; with several
      // updates they must be taken up front, before the first one.
      const singleUpdate = config.train.epochs * config.train.minibatches === 1;
      const old: ReturnType<typeof responseLogprobs>[] = singleUpdate
        ? new Array(items.length)
        : items.map((it) => responseLogprobs(policy, it.r, false));
      const ref = items.map((it) => responseLogprobs(initial, it.r, false));
      let clipSum = 0;
      let clipTokens = 0;
      let gradNorm = 0;
      let lossSum = 0;
      const lr = learningRate(config.train.lr, schedule, step);
      const order = seededRandom(config.seed, "minibatch", step);
      for (let epoch = 0; epoch < config.train.epochs; epoch++) {
        const idx = sampleWithoutReplacement(items.length, items.length, order);
        const per = Math.ceil(idx.length / config.train.minibatches);
        for (let mb = 0; mb < config.train.minibatches; mb++) {
          const chunk = idx.slice(mb * per, (mb + 1) * per);
          if (chunk.length === 0) continue;
          const N = chunk.reduce((s, i) => s + items[i].r.responseTokens.length, 0);
          if (N === 0) continue;
          policy.zeroGrad();
          for (const i of chunk) {
            const cur = responseLogprobs(policy, items[i].r, true);
            old[i] ??= cur;
            const res = policyLoss(
              [{ logp: cur.logp, logpOld: old[i].logp, logpRef: ref[i].logp, advantage: items[i].advantage }],
              {
                clipLow: config.train.clip_low,
                clipHigh: config.train.clip_high,
                klCoef: config.train.kl_coef,
              },
              N,
            );
            const d = new Float64Array(cur.length);
            d.set(res.grads[0], cur.P - 1);
            policy.backward(d);
            clipSum += res.clipFraction * res.tokens;
            clipTokens += res.tokens;
            lossSum += res.loss;
          }
          const { params, grads } = policy.trainable();
          gradNorm = clipGradNorm(grads.data, config.train.grad_clip);
          opt.step(params.data, grads.data, lr);
        }
      }
      const t3 = performance.now();
      // 5. weight sync: the next samples come from the new weights
      await syncSampler(sampler, runDir, policy, tok, false);

      // 6. metrics
      const texts = groups.flat().map((r) => r.text);
      const diag = diagnose(texts);
      const comparisons = estimates.flatMap((e) => e.comparisons);
      const okComparisons = comparisons.filter((c) => c.outcome !== "failed");
      const allAdv = estimates.flatMap((e) => e.advantages.filter((_, i) => !e.masked[i]));
      const refLogps = ref.flatMap((x) => [...x.logp]);
      const curLogps = old.flatMap((x) => [...x.logp]);
      const klValues = refLogps.map((lr_, i) => Math.exp(lr_ - curLogps[i]) - (lr_ - curLogps[i]) - 1);
      const rewards = estimates.flatMap((e) => (e.rewards ?? []).filter((x): x is number => x !== null));
      const metrics: Record<string, number | null> = {
        step: step + 1,
        lr,
        advantage_mean: mean(allAdv),
        advantage_abs_mean: mean(allAdv.map(Math.abs)),
        reward_mean: mean(rewards),
        win_rate_vs_reference: okComparisons.length
          ? okComparisons.filter((c) => c.outcome === "a").length / okComparisons.length
          : null,
        dropped_groups: estimates.filter((e) => e.dropped).length,
        groups: estimates.length,
        masked: estimates.reduce((s, e) => s + e.stats.maskedCount, 0),
        judge_calls: estimates.reduce((s, e) => s + e.judgeCalls, 0),
        judge_consistency: okComparisons.length
          ? okComparisons.filter((c) => c.outcome !== "inconsistent").length / okComparisons.length
          : null,
        judge_failure_rate: comparisons.length
          ? (comparisons.length - okComparisons.length) / comparisons.length
          : null,
        length_mean: mean(groups.flat().map((r) => r.responseTokens.length)),
        length_words_mean: diag.meanWords,
        length_words_p90: diag.p90Words,
        over_explanation_tokens: diag.overExplanationTokens,
        grader_addressing_rate: diag.graderAddressingRate,
        distinct_2: diag.distinct2,
        constraints_met: mean(
          groups.flatMap((grp, g) =>
            grp.map((r) => satisfiedShare(extractConstraints(prompts[g].prompt), r.text)),
          ),
        ),
        truncated_rate: mean(groups.flat().map((r) => (r.finishReason === "length" ? 1 : 0))),
        kl_to_initial: mean(klValues),
        entropy: mean(old.flatMap((x) => [...x.entropy])),
        clip_fraction: clipTokens ? clipSum / clipTokens : 0,
        grad_norm: gradNorm,
        loss: lossSum,
        trained_sequences: items.length,
        time_sample_s: (t1 - t0) / 1000,
        time_judge_s: (t2 - t1) / 1000,
        time_train_s: (t3 - t2) / 1000,
        time_step_s: (performance.now() - t0) / 1000,
      };

      // 7. persist: state first (named by step), then the step's transaction, then prune
      saveState(runDir, step, policy, opt);
      store.commitStep({
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
      });
      pruneStates(runDir, step);
      writeFileSync(join(runDir, "metrics.jsonl"), `${JSON.stringify(metrics)}\n`, { flag: "a" });
      if ((step + 1) % config.train.checkpoint_every === 0 || step + 1 === config.train.steps) {
        saveModelFolder(join(runDir, "checkpoints", `step-${step + 1}`), policy, tok);
        if (policy.lora)
          saveLoraAdapter(join(runDir, "checkpoints", `step-${step + 1}-adapter`), policy.lora);
      }

      const elapsed = (performance.now() - started) / 1000;
      const done = step + 1 - startStep;
      const eta = (elapsed / done) * (config.train.steps - step - 1);
      const f = (x: number | null, d = 2) => (x === null ? "-" : x.toFixed(d));
      ctx.progress(
        `step ${step + 1}/${config.train.steps} ${f(metrics.time_step_s, 1)}s ETA ${Math.round(eta)}s | win ${f(metrics.win_rate_vs_reference)} adv ${f(metrics.advantage_mean)} drop ${metrics.dropped_groups}/${metrics.groups} masked ${metrics.masked} | met ${f(metrics.constraints_met)} len ${f(metrics.length_words_mean, 1)}w meta ${f(metrics.over_explanation_tokens, 1)} | kl ${f(metrics.kl_to_initial, 3)} ent ${f(metrics.entropy)} clip ${f(metrics.clip_fraction)} |g| ${f(metrics.grad_norm)}`,
      );
      if (ctx.shouldStop()) {
        stopped = step + 1 < config.train.steps;
        step++;
        break;
      }
    }
  } finally {
    await sampler.close();
  }
  return { completed: step, stopped };
}

export function loadPolicy(
  dir: string,
  kernel?: MatmulKernel,
): { model: Qwen3Model; tokenizer: TextTokenizer } {
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  const { model, tokenizer } = loadModelFolder(dir, kernel);
  if (!tokenizer) throw new Error(`${dir}: no tokenizer.json: the sampler needs the model's tokenizer`);
  return { model, tokenizer };
}
