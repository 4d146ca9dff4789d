// `wz genrm`: train a pairwise GenRM, the paper's first half.
//   wz genrm pairs   tiny-world labelled pairs (the gold plays the human labeller)
//   wz genrm traces  a teacher judge critiques labelled pairs; only traces right in both orders
//                    are kept (rejection sampling); SFT rows {"messages": [...]}
//   wz genrm train   the whole recipe from one config: pairs -> traces -> cold-start SFT -> RLVR
//                    (GRPO on the GenRM reward, dynamic sampling) -> held-out evaluation of the
//                    SFT-only judge and the RLVR judge, both through llama.cpp like `wz judge --gguf`
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { formatIssues, parseYamlConfig } from "../data/config-file.ts";
import { type Pair, parsePairLine } from "../data/pairs.ts";
import { type AccuracySummary, accuracySummary, type Rate } from "../eval/genrm-accuracy.ts";
import { DEFAULT_GENRM_REWARD, GENRM_REWARD_VERSION } from "../judge/genrm-reward.ts";
import { DEFAULT_PRINCIPLE_SET } from "../judge/principles.ts";
import { renderTemplate, TEMPLATE_NAMES, type TemplateName, templateNamed } from "../judge/template.ts";
import type { PairwiseJudge, Verdict } from "../judge/types.ts";
import type { ChatMessage } from "../llm/types.ts";
import { exportGguf, mergedModel, saveLoraAdapter, saveModelFolder } from "../model/checkpoint.ts";
import type { DecoderModel } from "../model/decoder.ts";
import { selectKernel } from "../model/kernels/select.ts";
import { pretrain } from "../model/pretrain.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { genrmTask, judgePrompts } from "../recipes/genrm/task.ts";
import { createJudge } from "../recipes/judges/index.ts";
import { JUDGE_TEMPLATE_KEY } from "../recipes/judges/spec.ts";
import { TrainConfigSchema } from "../recipes/writing-rl/config.ts";
import { chatMessagesSequence } from "../rl/data.ts";
import { ESTIMATORS, isScalarEstimator } from "../rl/estimators/index.ts";
import { loadPolicy, runLoop } from "../rl/loop.ts";
import { RunStore } from "../store/run-store.ts";
import { makeJudgePairs, tinyCritique } from "../world/tiny-judge-data.ts";
import { buildTinyBase } from "../world/tiny-model.ts";
import { UsageError } from "./errors.ts";
import { numberOf } from "./flags.ts";
import { buildJudge, JUDGE_FLAGS, JUDGE_FLAGS_HELP } from "./judge-options.ts";
import { forEachConcurrent } from "./pool.ts";
import { Progress } from "./progress.ts";

export const GENRM_HELP = `wz genrm pairs --tiny N --output FILE [--split train|eval] [--seed S] [--minimal-share X]
wz genrm traces --input PAIRS.jsonl --output SFT.jsonl [--teacher tiny | judge options]
    [--template compact|full]
wz genrm train CONFIG.yaml [--output DIR]

pairs:  labelled pairs from the tiny world ({"id","prompt","response_a","response_b","label"}):
        base-model-like responses and the bad kinds policies produce (word salad, off-topic,
        repetition, commentary, over-long, missing word), labelled by the world's gold judge.
        --split train draws prompts pretraining saw; eval, prompts no training stage sees.
        --minimal-share X: that share of the pairs are minimal pairs, a sentence that meets the
        request against its twin with one fact changed (another word, another topic, no word).
traces: a teacher judge critiques each pair in both orders; a pair's traces are kept only when
        both orders prefer the labelled response (rejection sampling). --teacher tiny writes
        templated critiques from the tiny world's checks; otherwise the judge options pick any
        backend (an OpenAI-compatible server, --gguf). Rows are {"messages": [user, assistant]},
        rendered by the same template as inference, ready for wz finetune.
train:  the recipe end to end (examples/tiny-genrm/config.yaml); prints the held-out accuracy,
        consistency and first-position rate of the SFT-only and the RLVR judge. The judge lands
        in DIR/judge.gguf with its template recorded, for wz judge --gguf, judge.gguf in wz train
        and wz serve.

${JUDGE_FLAGS_HELP}`;

export async function genrmCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    console.log(GENRM_HELP);
    return sub ? 0 : 2;
  }
  if (sub === "pairs") return pairsCommand(rest);
  if (sub === "traces") return tracesCommand(rest);
  if (sub === "train") return trainGenRMCommand(rest);
  throw new UsageError(`wz genrm: unknown subcommand "${sub}" (pairs, traces, train)`);
}

function pairsCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      tiny: { type: "string" },
      split: { type: "string", default: "train" },
      seed: { type: "string", default: "1" },
      "minimal-share": { type: "string", default: "0" },
      output: { type: "string" },
    },
  });
  if (!values.tiny || !values.output) throw new UsageError("usage: wz genrm pairs --tiny N --output FILE");
  const minimalShare = numberOf(values, "minimal-share", { min: 0, max: 1 });
  const split = values.split === "eval" ? "eval" : values.split === "train" ? "pretrain" : null;
  if (!split) throw new UsageError(`--split: expected train or eval, got "${values.split}"`);
  const pairs = makeJudgePairs(
    numberOf(values, "tiny", { int: true, min: 1 }),
    numberOf(values, "seed", { int: true }),
    split,
    { minimalShare },
  );
  writeFileSync(values.output, pairs.map((p) => JSON.stringify(p)).join("\n") + "\n");
  console.log(`wrote ${pairs.length} labelled pairs to ${values.output}`);
  return 0;
}

export function readPairs(path: string): Pair[] {
  if (!existsSync(path)) throw new UsageError(`pairs file ${path} does not exist`);
  const pairs: Pair[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      const r = parsePairLine(line, i + 1);
      if (!r.ok) throw new UsageError(`${path}: ${r.error}`);
      pairs.push(r.pair);
    });
  if (pairs.length === 0) throw new UsageError(`${path}: no pairs`);
  return pairs;
}

interface Teacher {
  name: string;
  /** The critique of the pair as shown (first, second), or null when it failed. */
  critique(prompt: string, first: string, second: string): Promise<string | null>;
}

/** Rejection sampling: keep a pair's two traces only when both prefer the labelled response. */
export async function makeTraces(
  pairs: Pair[],
  teacher: Teacher,
  template: TemplateName,
): Promise<{ rows: { messages: ChatMessage[] }[]; kept: number; rejected: number; failed: number }> {
  const rows: { messages: ChatMessage[] }[] = [];
  let kept = 0;
  let rejected = 0;
  let failed = 0;
  const { parseVerdict } = await import("../judge/verdict-parser.ts");
  const progress = new Progress("traces", pairs.length);
  await forEachConcurrent(
    pairs,
    16,
    async (p) => {
      const orders = [
        { first: p.responseA, second: p.responseB, preferred: p.label === "a" ? 1 : 2 },
        { first: p.responseB, second: p.responseA, preferred: p.label === "a" ? 2 : 1 },
      ];
      return Promise.all(
        orders.map(async (o) => ({ ...o, text: await teacher.critique(p.prompt, o.first, o.second) })),
      );
    },
    (traces, i) => {
      progress.tick();
      const p = pairs[i];
      if (traces.some((t) => t.text === null)) {
        failed++;
        return;
      }
      const right = traces.every((t) => {
        const v = parseVerdict(t.text!);
        return v.ok && (t.preferred === 1 ? v.first > v.second : v.second > v.first);
      });
      if (!right) {
        rejected++;
        return;
      }
      kept++;
      for (const t of traces) {
        const user = renderTemplate(
          template,
          { prompt: p.prompt, first: t.first, second: t.second },
          DEFAULT_PRINCIPLE_SET,
        );
        rows.push({ messages: [...user, { role: "assistant", content: t.text! }] });
      }
    },
  );
  progress.finish();
  return { rows, kept, rejected, failed };
}

function tinyTeacher(): Teacher {
  return {
    name: "tiny (templated critiques from the world's checks)",
    critique: async (p, a, b) => tinyCritique(p, a, b),
  };
}

async function tracesCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...JUDGE_FLAGS,
      input: { type: "string" },
      output: { type: "string" },
      teacher: { type: "string" },
    },
  });
  if (!values.input || !values.output)
    throw new UsageError("usage: wz genrm traces --input PAIRS.jsonl --output SFT.jsonl");
  const template = templateNamed(values.template ?? "compact");
  if (!template)
    throw new UsageError(`--template: expected ${TEMPLATE_NAMES.join(" or ")}, got "${values.template}"`);
  const pairs = readPairs(values.input);
  if (pairs.some((p) => !p.label))
    throw new UsageError(`${values.input}: every pair needs a label for traces`);
  let teacher: Teacher;
  let close = () => {};
  if (values.teacher === "tiny") teacher = tinyTeacher();
  else {
    if (values.teacher !== undefined) throw new UsageError(`--teacher: expected "tiny" or judge options`);
    const built = buildJudge({ ...values, template });
    close = () => built.close();
    teacher = judgeTeacher(built.judge);
  }
  const t = await makeTraces(pairs, teacher, template);
  close();
  writeFileSync(values.output, t.rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  console.log(
    `teacher ${teacher.name}: ${t.kept} of ${pairs.length} pairs kept (right in both orders), ${t.rejected} rejected, ${t.failed} failed; ${t.rows.length} SFT rows in ${values.output}`,
  );
  return 0;
}

/** Any pairwise GenRM as a teacher: its raw reply in each order is the trace. */
function judgeTeacher(judge: PairwiseJudge): Teacher {
  return {
    name: judge.name,
    async critique(prompt, first, second) {
      const v = await judge.compare(prompt, first, second);
      const c = v.conditions.find((x) => x.order === "ab");
      return c && c.error === null ? c.raw : null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// wz genrm train

const GenRMConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    output: z.string().default("runs/genrm"),
    /** The judge's starting model: "tiny" (the tiny writer base) or a Hugging Face folder. */
    model: TrainConfigSchema.shape.model,
    data: z
      .object({
        /** "tiny": generated, gold-labelled pairs; otherwise a labelled pairs file (ours, LitBench, RewardBench). */
        pairs: z.string().default("tiny"),
        /** Held-out pairs; without it, tiny draws them from prompts no stage saw, a file holds out its last eval_count. */
        eval_pairs: z.string().optional(),
        train_count: z.number().int().positive().default(1200),
        eval_count: z.number().int().positive().default(200),
        /** Of the training pairs, how many are kept back from SFT for RLVR. */
        rl_count: z.number().int().nonnegative().default(400),
        /**
         * tiny: the prompt splits the training pairs come from. The held-out pairs always come from
         * "eval", whose topic/word combinations no other split has; "train" is the policy's RL split.
         */
        splits: z
          .array(z.enum(["pretrain", "train"]))
          .nonempty()
          .default(["pretrain"]),
        /** tiny: share of training pairs that are minimal pairs (one fact changed; tiny-judge-data.ts). */
        minimal_share: z.number().min(0).max(1).default(0),
      })
      .strict()
      .default({
        pairs: "tiny",
        train_count: 1200,
        eval_count: 200,
        rl_count: 400,
        splits: ["pretrain"],
        minimal_share: 0,
      }),
    template: z.enum(TEMPLATE_NAMES).default("compact"),
    teacher: z.literal("tiny").default("tiny"),
    sft: z
      .object({
        steps: z.number().int().positive().default(600),
        lr: z.number().positive().default(0.002),
        batch_size: z.number().int().positive().default(16),
      })
      .strict()
      .default({ steps: 600, lr: 0.002, batch_size: 16 }),
    rl: z
      .object({
        rollout: z.record(z.string(), z.unknown()).default({}),
        train: z.record(z.string(), z.unknown()).default({}),
        estimator: z.record(z.string(), z.unknown()).default({}),
        /** Train LoRA adapters on the frozen SFT judge instead of every weight. */
        lora: TrainConfigSchema.shape.model.unwrap().shape.lora,
      })
      .strict()
      .default({ rollout: {}, train: {}, estimator: {} }),
    reward: z
      .object({
        format_penalty: z.number().default(DEFAULT_GENRM_REWARD.formatPenalty),
        tie: z.number().default(DEFAULT_GENRM_REWARD.tie),
        margin_bonus: z.number().nonnegative().default(DEFAULT_GENRM_REWARD.marginBonus),
        margin_scale: z.number().positive().default(DEFAULT_GENRM_REWARD.marginScale),
      })
      .strict()
      .default({ format_penalty: -1, tie: -0.5, margin_bonus: 0.5, margin_scale: 5 }),
    eval: z
      .object({ max_tokens: z.number().int().positive().default(200) })
      .strict()
      .default({ max_tokens: 200 }),
  })
  .strict();

type GenRMConfig = z.infer<typeof GenRMConfigSchema>;

export function parseGenRMConfig(path: string): GenRMConfig {
  if (!existsSync(path)) throw new UsageError(`config file ${path} does not exist`);
  try {
    return parseYamlConfig(GenRMConfigSchema, readFileSync(path, "utf8"), path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const pct = (r: Rate) => (r.value === null ? "n/a" : `${(100 * r.value).toFixed(1)}%`);

async function evaluateJudge(gguf: string, pairs: Pair[], maxTokens: number, label: string) {
  const built = createJudge({ kind: "genrm", gguf, cache: null, maxTokens, parseRetries: 0 });
  const verdicts: Verdict[] = new Array(pairs.length);
  const progress = new Progress(`held-out ${label}`, pairs.length);
  await forEachConcurrent(
    pairs,
    8,
    (p) => built.judge.compare(p.prompt, p.responseA, p.responseB),
    (v, i) => {
      verdicts[i] = v;
      progress.tick();
    },
  );
  progress.finish();
  built.close();
  const tokens = verdicts.flatMap((v) => v.conditions.map((c) => c.usage?.completion_tokens ?? 0));
  return {
    summary: accuracySummary(pairs, verdicts),
    tokensPerJudgment: tokens.reduce((s, x) => s + x, 0) / Math.max(1, tokens.length),
  };
}

/**
 * The trained judge, written once: final/ (a Hugging Face folder), final-adapter/ (PEFT, when the
 * RLVR trained adapters) and judge.gguf for llama.cpp with its template recorded. Both final/ and
 * judge.gguf hold the merged model: with rl.lora, the adapters folded into the base.
 */
export function saveTrainedJudge(
  out: string,
  policy: { model: DecoderModel; tokenizer: TextTokenizer },
  template: TemplateName,
): { finalDir: string; judgeGguf: string } {
  const finalDir = join(out, "final");
  if (policy.model.lora) saveLoraAdapter(join(out, "final-adapter"), policy.model.lora);
  const judgeModel = mergedModel(policy.model);
  saveModelFolder(finalDir, judgeModel, policy.tokenizer);
  const judgeGguf = join(out, "judge.gguf");
  writeFileSync(
    judgeGguf,
    exportGguf(judgeModel, policy.tokenizer, "f32", "writing-zero-genrm", { [JUDGE_TEMPLATE_KEY]: template }),
  );
  return { finalDir, judgeGguf };
}

async function trainGenRMCommand(argv: string[]): Promise<number> {
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
    console.log(GENRM_HELP);
    return 0;
  }
  if (!positionals[0]) throw new UsageError("usage: wz genrm train CONFIG.yaml");
  const config = parseGenRMConfig(positionals[0]);
  const out = values.output ?? config.output;
  if (existsSync(join(out, "summary.json")))
    throw new UsageError(`${out} already holds a finished GenRM run; choose another --output`);
  mkdirSync(out, { recursive: true });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const minutes = () => ((performance.now() - started) / 60000).toFixed(1);
  const kernel = await selectKernel(values.kernel as string);
  const template = config.template as TemplateName;

  // 1. pairs: SFT, RLVR and held-out sets that share no pair
  let all: Pair[];
  let held: Pair[];
  if (config.data.pairs === "tiny") {
    all = readPairsFromRows(
      makeJudgePairs(config.data.train_count, config.seed, config.data.splits, {
        minimalShare: config.data.minimal_share,
      }),
    );
    held = readPairsFromRows(makeJudgePairs(config.data.eval_count, config.seed, "eval"));
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

  // 2. cold-start traces (rejection sampling)
  const traces = await makeTraces(sftPairs, tinyTeacher(), template);
  writeFileSync(join(out, "sft.jsonl"), traces.rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  log(
    `traces: ${traces.kept} pairs kept, ${traces.rejected} rejected, ${traces.failed} failed -> ${traces.rows.length} SFT rows`,
  );

  // 3. SFT from the base model, loss on the assistant's critique only
  let baseDir = config.model.init;
  if (baseDir === "tiny") baseDir = buildTinyBase(config.model.tiny, config.model.cache, { log, kernel }).dir;
  const base = loadPolicy(baseDir, kernel);
  const seqs = traces.rows.map((r) => chatMessagesSequence(base.tokenizer, r.messages));
  log(`SFT: ${config.sft.steps} steps x ${config.sft.batch_size} rows from ${baseDir}`);
  pretrain(
    base.model,
    seqs.map((s) => s.tokens),
    {
      steps: config.sft.steps,
      batchSize: config.sft.batch_size,
      lr: config.sft.lr,
      seed: config.seed,
      lossStart: seqs.map((s) => s.promptLength - 1),
      onStep: ({ step, loss }) => {
        if (step % 100 === 0 || step === config.sft.steps - 1)
          log(`  SFT step ${step + 1}/${config.sft.steps} loss ${loss.toFixed(4)} (${minutes()} min)`);
      },
    },
  );
  const sftDir = join(out, "sft");
  saveModelFolder(sftDir, base.model, base.tokenizer);
  const sftGguf = join(out, "sft.gguf");
  writeFileSync(
    sftGguf,
    exportGguf(base.model, base.tokenizer, "f32", "writing-zero-genrm-sft", {
      [JUDGE_TEMPLATE_KEY]: template,
    }),
  );

  // 4. RLVR: the judge is the policy; GRPO on the GenRM reward with dynamic sampling
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
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error, `${positionals[0]}: rl`));
  const rl = parsed.data;
  if (!isScalarEstimator(rl.estimator.name))
    throw new UsageError(
      `${positionals[0]}: rl.estimator.name: RLVR uses a scalar estimator (${ESTIMATORS.filter(isScalarEstimator).join(", ")})`,
    );
  const runDir = rl.output;
  mkdirSync(join(runDir, "checkpoints"), { recursive: true });
  const store = new RunStore(join(runDir, "run.sqlite"));
  store.setMeta("config", rl);
  store.setMeta("genrm", { rewardVersion: GENRM_REWARD_VERSION, template, reward: config.reward });
  const prompts = judgePrompts(rlPairs, template, DEFAULT_PRINCIPLE_SET);
  store.addPrompts(prompts, "train");
  const policy = loadPolicy(sftDir, kernel);
  const initial = loadPolicy(sftDir, kernel);
  if (config.rl.lora) {
    policy.model.attachLora(config.rl.lora, config.seed);
  }
  log(
    `RLVR: ${rl.train.steps} steps x ${rl.rollout.prompts_per_step} judge prompts x G=${rl.rollout.group_size}, reward ${GENRM_REWARD_VERSION}`,
  );
  await runLoop(
    {
      config: rl,
      runDir,
      store,
      policy: policy.model,
      initial: initial.model,
      tokenizer: policy.tokenizer,
      task: genrmTask({
        prompts,
        template,
        estimator: rl.estimator.name as "grpo" | "drgrpo" | "rloo",
        reward: {
          formatPenalty: config.reward.format_penalty,
          tie: config.reward.tie,
          marginBonus: config.reward.margin_bonus,
          marginScale: config.reward.margin_scale,
          minWeight: DEFAULT_GENRM_REWARD.minWeight,
          maxWeight: DEFAULT_GENRM_REWARD.maxWeight,
        },
        seed: config.seed,
      }),
      trainPrompts: prompts,
      log,
      progress: log,
      shouldStop: () => false,
    },
    0,
  );
  store.setMeta("status", "completed");
  store.close();
  const { judgeGguf } = saveTrainedJudge(out, policy, template);

  // 5. held-out evaluation, through llama.cpp exactly as wz judge --gguf runs it
  const sft = await evaluateJudge(sftGguf, held, config.eval.max_tokens, "SFT-only");
  const rlvr = await evaluateJudge(judgeGguf, held, config.eval.max_tokens, "after RLVR");
  const row = (name: string, f: (s: AccuracySummary) => Rate) =>
    `  ${name.padEnd(36)} ${pct(f(sft.summary)).padStart(8)} ${pct(f(rlvr.summary)).padStart(11)}`;
  const lines = [
    `GenRM on ${held.length} held-out pairs (both orders, template ${template}, reward ${GENRM_REWARD_VERSION}):`,
    `  ${"".padEnd(36)} ${"SFT-only".padStart(8)} ${"after RLVR".padStart(11)}`,
    row("accuracy (right under both orders)", (s) => s.accuracy),
    row("consistency across orders", (s) => s.consistency),
    row("first-position win rate", (s) => s.firstPositionWinRate),
    row("failure rate", (s) => s.failureRate),
    `  ${"tokens per judgment".padEnd(36)} ${sft.tokensPerJudgment.toFixed(0).padStart(8)} ${rlvr.tokensPerJudgment.toFixed(0).padStart(11)}`,
    `  time ${minutes()} min; the judge: ${resolve(judgeGguf)} (wz judge --gguf ${judgeGguf} --input PAIRS)`,
  ];
  console.log(lines.join("\n"));
  writeFileSync(
    join(out, "summary.json"),
    `${JSON.stringify({ template, rewardVersion: GENRM_REWARD_VERSION, heldOut: held.length, traces: { kept: traces.kept, rejected: traces.rejected }, sft: sft.summary, rlvr: rlvr.summary, tokensPerJudgment: { sft: sft.tokensPerJudgment, rlvr: rlvr.tokensPerJudgment }, minutes: Number(minutes()) }, null, 2)}\n`,
  );
  return 0;
}

function readPairsFromRows(
  rows: { id: string; prompt: string; response_a: string; response_b: string; label: "a" | "b" }[],
): Pair[] {
  return rows.map((r) => ({
    id: r.id,
    prompt: r.prompt,
    responseA: r.response_a,
    responseB: r.response_b,
    label: r.label,
  }));
}

function pairRow(p: Pair) {
  return { id: p.id, prompt: p.prompt, response_a: p.responseA, response_b: p.responseB, label: p.label };
}
