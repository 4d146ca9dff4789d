// The GenRM recipe (wz genrm train), the paper's first half, end to end:
//   pairs -> cold-start traces (rejection sampling) -> SFT -> RLVR (GRPO on the GenRM reward,
//   dynamic sampling) -> the trained judge's files -> held-out accuracy of the SFT-only judge and
//   the RLVR judge, both through llama.cpp.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, formatIssues } from "../../data/config-file.ts";
import type { Pair } from "../../data/pairs.ts";
import type { AccuracySummary, Rate } from "../../eval/genrm-accuracy.ts";
import { DEFAULT_GENRM_REWARD, GENRM_REWARD_VERSION } from "../../judge/genrm-reward.ts";
import { DEFAULT_PRINCIPLE_SET } from "../../judge/principles.ts";
import type { TemplateName } from "../../judge/template.ts";
import { exportGguf, saveModelFolder } from "../../model/checkpoint.ts";
import type { ComputeBackend } from "../../model/kernels/types.ts";
import { type PretrainOptions, pretrain } from "../../model/pretrain.ts";
import { chatMessagesSequence } from "../../rl/data.ts";
import { ESTIMATORS, isScalarEstimator } from "../../rl/estimators/index.ts";
import { loadPolicy, runLoop } from "../../rl/loop.ts";
import { stopOnJudgeFailures } from "../../rl/policies/judge-failures.ts";
import { RunStore } from "../../store/run-store.ts";
import { remoteSupervised } from "../../tinker/remote-sft.ts";
import { makeJudgePairs } from "../../world/tiny-judge-data.ts";
import { reviseTaste, type TasteRevision } from "../../world/tiny-teacher.ts";
import { JUDGE_TEMPLATE_KEY } from "../judges/spec.ts";
import { baseModelPath } from "../model-block.ts";
import { remoteTrainer, type TinkerBlock, tinkerClient } from "../trainer-block.ts";
import { TrainConfigSchema } from "../writing-rl/config.ts";
import type { GenRMConfig } from "./config.ts";
import { evaluateJudge, pct, saveTrainedJudge } from "./judge-files.ts";
import { pairRow, readPairs, readPairsFromRows } from "./pairs.ts";
import { genrmTask, judgePrompts } from "./task.ts";
import { makeTraces, pairsTheTeacherExplains, type Teacher, tinyTeacher } from "./traces.ts";

interface GenRMRun {
  config: GenRMConfig;
  out: string;
  /** The config file, for errors that name it. */
  origin: string;
  kernel: ComputeBackend;
  template: TemplateName;
  log: (line: string) => void;
  minutes: () => string;
}

export async function runGenRM(
  config: GenRMConfig,
  o: { out: string; origin: string; kernel: ComputeBackend; log: (line: string) => void },
): Promise<number> {
  mkdirSync(o.out, { recursive: true });
  const started = performance.now();
  const run: GenRMRun = {
    ...o,
    config,
    template: config.template as TemplateName,
    minutes: () => ((performance.now() - started) / 60000).toFixed(1),
  };
  const { sftPairs, rlPairs, held } = splitPairs(run);
  const teacher = tinyTeacher(config.critique, reviseTeacherTaste(run, sftPairs));
  const sft = await coldStart(run, sftPairs, teacher);
  const judgeGguf = await rlvr(run, await chooseRlPairs(run, rlPairs, teacher), sft.dir, sft.remote);
  await report(run, held, sft, judgeGguf);
  return 0;
}

/** SFT, RLVR and held-out sets that share no pair. */
function splitPairs(run: GenRMRun): { sftPairs: Pair[]; rlPairs: Pair[]; held: Pair[] } {
  const { config, out, log } = run;
  let all: Pair[];
  let held: Pair[];
  if (config.data.pairs === "tiny") {
    all = readPairsFromRows(
      makeJudgePairs(config.data.train_count, config.seed, config.data.splits, {
        minimalShare: config.data.minimal_share,
        tasteShare: config.data.taste_share,
        composedShare: config.data.composed_share,
      }),
    );
    held = readPairsFromRows(
      makeJudgePairs(config.data.eval_count, config.seed, "eval", {
        tasteShare: config.data.eval_taste_share,
      }),
    );
  } else {
    all = readPairs(config.data.pairs);
    if (config.data.eval_pairs) held = readPairs(config.data.eval_pairs);
    else {
      held = all.slice(all.length - config.data.eval_count);
      all = all.slice(0, all.length - config.data.eval_count);
    }
  }
  const rlPairs = all.slice(all.length - Math.min(config.data.rl_count, Math.floor(all.length / 2)));
  const sftPairs = all.slice(0, all.length - rlPairs.length);
  writeFileSync(
    join(out, "held-out-pairs.jsonl"),
    held.map((p) => JSON.stringify(pairRow(p))).join("\n") + "\n",
  );
  log(`pairs: ${sftPairs.length} for SFT traces, ${rlPairs.length} for RLVR, ${held.length} held out`);
  return { sftPairs, rlPairs, held };
}

/** The teacher's taste revised on the SFT pairs' labels, when the config asks for it. */
function reviseTeacherTaste(run: GenRMRun, pairs: Pair[]): TasteRevision | undefined {
  if (run.config.teacher_taste !== "revised") return undefined;
  const r = reviseTaste(
    pairs.flatMap((p) =>
      p.label ? [{ prompt: p.prompt, response_a: p.responseA, response_b: p.responseB, label: p.label }] : [],
    ),
  );
  run.log(
    `teacher's taste revised on the labels of ${r.constraints} pairs that differ in taste only: ${r.revised} of the ${r.scenes.size + r.details.size} moods it hears (${r.scenes.size} scenes, ${r.details.size} details) changed`,
  );
  return r;
}

/** The RLVR pairs: all kept back, or those whose label the teacher explains (rl_pairs). */
async function chooseRlPairs(run: GenRMRun, pairs: Pair[], teacher: Teacher): Promise<Pair[]> {
  if (run.config.rl_pairs === "all") return pairs;
  const r = await pairsTheTeacherExplains(pairs, teacher);
  run.log(
    `RLVR pairs: ${r.kept.length} of ${pairs.length} whose label the teacher explains in both orders (${r.dropped} dropped, ${r.failed} the teacher could not read)`,
  );
  if (r.kept.length === 0) throw new Error("genrm: rl_pairs: teacher_agrees left no RLVR pair");
  return r.kept;
}

/** Cold-start traces, then SFT from the base model with the loss on the assistant's critique only. */
async function coldStart(run: GenRMRun, pairs: Pair[], teacher: Teacher) {
  const { config, out, log, kernel, template } = run;
  const traces = await makeTraces(pairs, teacher, template);
  writeFileSync(join(out, "sft.jsonl"), traces.rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  log(
    `traces: ${traces.kept} pairs kept, ${traces.rejected} rejected, ${traces.failed} failed -> ${traces.rows.length} SFT rows`,
  );
  const baseDir = baseModelPath(config.model, { kernel, log });
  let base = loadPolicy(baseDir, kernel);
  const seqs = traces.rows.map((r) => chatMessagesSequence(base.tokenizer, r.messages));
  const options: PretrainOptions = {
    steps: config.sft.steps,
    batchSize: config.sft.batch_size,
    lr: config.sft.lr,
    seed: config.seed,
    lossStart: seqs.map((s) => s.promptLength - 1),
    onStep: ({ step, loss }) => {
      if (step % 100 === 0 || step === config.sft.steps - 1)
        log(`  SFT step ${step + 1}/${config.sft.steps} loss ${loss.toFixed(4)} (${run.minutes()} min)`);
    },
  };
  const dir = join(out, "sft");
  let remote: RemoteSft | undefined;
  if (config.trainer.kind === "tinker") {
    log(
      `SFT: ${config.sft.steps} steps x ${config.sft.batch_size} rows on ${config.trainer.base_url} (model ${config.trainer.model})`,
    );
    remote = await remoteColdStart(config.trainer, config.seed, seqs, options, dir, log);
    base = loadPolicy(dir, kernel);
  } else {
    log(`SFT: ${config.sft.steps} steps x ${config.sft.batch_size} rows from ${baseDir}`);
    pretrain(
      base.model,
      seqs.map((s) => s.tokens),
      options,
    );
    saveModelFolder(dir, base.model, base.tokenizer);
  }
  const gguf = join(out, "sft.gguf");
  writeFileSync(
    gguf,
    exportGguf(base.model, base.tokenizer, "f32", "writing-zero-genrm-sft", {
      [JUDGE_TEMPLATE_KEY]: template,
    }),
  );
  return { dir, gguf, kept: traces.kept, rejected: traces.rejected, remote };
}

/** Where the SFT judge lives on the service: its state (RLVR starts from it) and sampler weights (the KL reference). */
interface RemoteSft {
  state: string;
  sampler: string;
}

/** Cold-start SFT on the service, then the SFT judge downloaded into `dir` (its local evaluation). */
async function remoteColdStart(
  block: TinkerBlock,
  seed: number,
  seqs: { tokens: number[] }[],
  options: PretrainOptions,
  dir: string,
  log: (line: string) => void,
): Promise<RemoteSft> {
  const client = tinkerClient(block);
  const session = await client.createSession();
  const lora = block.lora_rank > 0 ? { rank: block.lora_rank, seed } : null;
  const model = await client.createModel(session, 0, block.model, lora);
  await remoteSupervised(
    model,
    seqs.map((s) => s.tokens),
    options,
  );
  const state = await model.saveState("sft");
  const sampler = await model.saveForSampler("sft");
  const external = await model.saveExternal("sft");
  log(`SFT judge on the service: ${state}; downloading ${external}`);
  await client.downloadExternal(external, dir);
  return { state, sampler };
}

/** RLVR: the judge is the policy; GRPO on the GenRM reward with dynamic sampling. */
async function rlvr(run: GenRMRun, rlPairs: Pair[], sftDir: string, remote?: RemoteSft): Promise<string> {
  const { config, out, log, kernel, template } = run;
  const parsed = TrainConfigSchema.safeParse({
    seed: config.seed,
    output: join(out, "rl"),
    model: { init: sftDir },
    rollout: {
      group_size: 8,
      prompts_per_step: 8,
      max_tokens: 160,
      temperature: 1,
      dynamic_sampling: true,
      ...config.rl.rollout,
    },
    train: { steps: 30, lr: 2e-4, checkpoint_every: 1000, ...config.rl.train },
    estimator: { name: "grpo", ...config.rl.estimator },
    eval: { judge: "training", monitor_every: 0 },
  });
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, `${run.origin}: rl`));
  const rl = parsed.data;
  if (!isScalarEstimator(rl.estimator.name))
    throw new ConfigError(
      `${run.origin}: rl.estimator.name: RLVR uses a scalar estimator (${ESTIMATORS.filter(isScalarEstimator).join(", ")})`,
    );
  const runDir = rl.output;
  mkdirSync(join(runDir, "checkpoints"), { recursive: true });
  const store = new RunStore(join(runDir, "run.sqlite"));
  store.setMeta("config", rl);
  store.setMeta("genrm", { rewardVersion: GENRM_REWARD_VERSION, template, reward: config.reward });
  const prompts = judgePrompts(rlPairs, template, DEFAULT_PRINCIPLE_SET);
  store.addPrompts(prompts, "train");
  const initial = loadPolicy(sftDir, kernel);
  const trainer =
    remote && config.trainer.kind === "tinker"
      ? remoteTrainer(config.trainer, rl, runDir, log, {
          initialState: remote.state,
          reference: remote.sampler,
        })
      : undefined;
  const policy = trainer ? null : loadPolicy(sftDir, kernel);
  if (config.rl.lora) policy?.model.attachLora(config.rl.lora, config.seed);
  if (trainer) log(`RLVR policy trainer: ${trainer.describe()}`);
  log(
    `RLVR: ${rl.train.steps} steps x ${rl.rollout.prompts_per_step} judge prompts x G=${rl.rollout.group_size}, reward ${GENRM_REWARD_VERSION}`,
  );
  const reward = {
    formatPenalty: config.reward.format_penalty,
    tie: config.reward.tie,
    marginBonus: config.reward.margin_bonus,
    marginScale: config.reward.margin_scale,
    minWeight: DEFAULT_GENRM_REWARD.minWeight,
    maxWeight: DEFAULT_GENRM_REWARD.maxWeight,
  };
  const estimator = rl.estimator.name as "grpo" | "drgrpo" | "rloo";
  await runLoop(
    {
      config: rl,
      runDir,
      store,
      trainer,
      policy: policy?.model,
      initial: initial.model,
      tokenizer: initial.tokenizer,
      task: genrmTask({ prompts, template, estimator, reward, seed: config.seed }),
      policies: [stopOnJudgeFailures(rl.train)],
      trainPrompts: prompts,
      log,
      progress: log,
      shouldStop: () => false,
    },
    0,
  );
  store.setMeta("status", "completed");
  store.close();
  if (!trainer) return saveTrainedJudge(out, policy!, template).judgeGguf;
  // the RLVR judge's weights, downloaded from the service, become final/ and judge.gguf here
  const downloaded = join(runDir, "downloaded");
  await trainer.download(downloaded);
  return saveTrainedJudge(out, loadPolicy(downloaded, kernel), template).judgeGguf;
}

/** Held-out accuracy of the SFT-only (unless eval.sft_only is off) and the RLVR judge, printed and written to summary.json. */
async function report(
  run: GenRMRun,
  held: Pair[],
  sftRun: { gguf: string; kept: number; rejected: number },
  judgeGguf: string,
): Promise<void> {
  const { config, out, template } = run;
  const sft = config.eval.sft_only
    ? await evaluateJudge(sftRun.gguf, held, config.eval.max_tokens, "SFT-only")
    : null;
  const rlvr = await evaluateJudge(judgeGguf, held, config.eval.max_tokens, "after RLVR");
  const none: Rate = { value: null, ci: null, n: 0 };
  const row = (name: string, f: (s: AccuracySummary) => Rate) =>
    `  ${name.padEnd(36)} ${(sft ? pct(f(sft.summary)) : "-").padStart(8)} ${pct(f(rlvr.summary)).padStart(11)}`;
  const lines = [
    `GenRM on ${held.length} held-out pairs (both orders, template ${template}, reward ${GENRM_REWARD_VERSION}):`,
    `  ${"".padEnd(36)} ${"SFT-only".padStart(8)} ${"after RLVR".padStart(11)}`,
    row("accuracy (right under both orders)", (s) => s.accuracy),
    row("consistency across orders", (s) => s.consistency),
    row("first-position win rate", (s) => s.firstPositionWinRate),
    row("failure rate", (s) => s.failureRate),
    ...rlvr.summary.byKind.map((k) =>
      row(
        `accuracy, kind ${k.kind} (${k.accuracy.n})`,
        (s) => s.byKind.find((x) => x.kind === k.kind)?.accuracy ?? none,
      ),
    ),
    `  ${"tokens per judgment".padEnd(36)} ${(sft ? sft.tokensPerJudgment.toFixed(0) : "-").padStart(8)} ${rlvr.tokensPerJudgment.toFixed(0).padStart(11)}`,
    `  time ${run.minutes()} min; the judge: ${resolve(judgeGguf)} (wz judge --gguf ${judgeGguf} --input PAIRS)`,
  ];
  console.log(lines.join("\n"));
  const summary = {
    template,
    critique: config.critique,
    rewardVersion: GENRM_REWARD_VERSION,
    heldOut: held.length,
    traces: { kept: sftRun.kept, rejected: sftRun.rejected },
    sft: sft?.summary ?? null,
    rlvr: rlvr.summary,
    tokensPerJudgment: { sft: sft?.tokensPerJudgment ?? null, rlvr: rlvr.tokensPerJudgment },
    minutes: Number(run.minutes()),
  };
  writeFileSync(join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
}
