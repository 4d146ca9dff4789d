// `wz train-rm CONFIG`: a scalar Bradley-Terry reward model on labelled pairs, from the tiny base,
// a model folder or a GGUF; every weight or LoRA adapters on a frozen trunk, the value head always.
// Writes DIR/final (a *ForSequenceClassification folder transformers loads) and DIR/summary.json
// with the held-out accuracy before and after.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseYamlConfig } from "../data/config-file.ts";
import type { Pair } from "../data/pairs.ts";
import { mergedModel } from "../model/checkpoint.ts";
import { selectKernel } from "../model/kernels/select.ts";
import { RewardModel, saveRewardModel } from "../model/reward-model.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { TrainConfigSchema } from "../recipes/writing-rl/config.ts";
import { chatSequence } from "../rl/data.ts";
import { loadPolicy } from "../rl/loop.ts";
import { rewardAccuracy, type TokenPair, trainRewardModel } from "../rm/train.ts";
import { makeJudgePairs } from "../world/tiny-judge-data.ts";
import { buildTinyBase } from "../world/tiny-model.ts";
import { UsageError } from "./errors.ts";
import { readPairs } from "./genrm-command.ts";

export const TRAIN_RM_HELP = `wz train-rm CONFIG [--kernel auto|blas|mkl|wasm|reference]

Trains a scalar reward model (Bradley-Terry: -log sigmoid(r_chosen - r_rejected)) on labelled
pairs and reports its held-out accuracy (the preferred response gets the higher reward).
The model is the trunk of model.init (tiny, a Hugging Face folder, or a GGUF) with a value head
in Hugging Face's *ForSequenceClassification layout, read at the last token. Writes
OUTPUT/final (loads in transformers as AutoModelForSequenceClassification) and
OUTPUT/summary.json.

Config (YAML):
  seed: 1
  output: runs/rm
  model: {init: tiny, lora?: {rank, alpha, targets}}     as in wz train
  data:
    pairs: tiny | FILE.jsonl    ours {prompt, response_a, response_b, label}, LitBench, RewardBench
    eval_pairs: FILE.jsonl      held-out pairs (default: tiny's held-out split, or the file's last eval_count)
    train_count: 2000           tiny pairs to make (train split)
    eval_count: 200             held-out pairs
  train: {steps: 300, batch_size: 8, lr: 0.001, weight_decay: 0, grad_clip: 1}

  --kernel K     compute kernel, as in wz train (default auto); WZ_THREADS and WZ_LAYERS apply`;

export const RmConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    output: z.string().default("runs/rm"),
    model: TrainConfigSchema.shape.model,
    data: z
      .object({
        pairs: z.string().default("tiny"),
        eval_pairs: z.string().optional(),
        train_count: z.number().int().positive().default(2000),
        eval_count: z.number().int().positive().default(200),
      })
      .strict()
      .default({ pairs: "tiny", train_count: 2000, eval_count: 200 }),
    train: z
      .object({
        steps: z.number().int().positive().default(300),
        batch_size: z.number().int().positive().default(8),
        lr: z.number().positive().default(1e-3),
        weight_decay: z.number().nonnegative().default(0),
        grad_clip: z.number().nonnegative().default(1),
      })
      .strict()
      .default({ steps: 300, batch_size: 8, lr: 1e-3, weight_decay: 0, grad_clip: 1 }),
  })
  .strict();

export type RmConfig = z.infer<typeof RmConfigSchema>;

export function parseRmConfig(source: string, origin: string): RmConfig {
  return parseYamlConfig(RmConfigSchema, source, origin);
}

function tinyPairs(n: number, seed: number, split: "train" | "eval"): Pair[] {
  return makeJudgePairs(n, seed, split).map((p) => ({
    id: p.id,
    prompt: p.prompt,
    responseA: p.response_a,
    responseB: p.response_b,
    label: p.label,
  }));
}

/** Pairs with a label, as (chosen, rejected) sequences in the model's chat template. */
export function tokenPairs(tok: TextTokenizer, pairs: Pair[]): TokenPair[] {
  return pairs.flatMap((p) => {
    if (!p.label) return [];
    const [c, r] = p.label === "a" ? [p.responseA, p.responseB] : [p.responseB, p.responseA];
    return [
      { chosen: chatSequence(tok, p.prompt, c).tokens, rejected: chatSequence(tok, p.prompt, r).tokens },
    ];
  });
}

export async function trainRmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" }, kernel: { type: "string", default: "auto" } },
  });
  if (values.help) {
    console.log(TRAIN_RM_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path) throw new UsageError("usage: wz train-rm CONFIG");
  if (!existsSync(path)) throw new UsageError(`${path}: file not found`);
  const config = parseRmConfig(readFileSync(path, "utf8"), path);
  const log = (line: string) => console.error(line);
  const kernel = await selectKernel(values.kernel as string);
  const started = performance.now();

  let train: Pair[];
  let held: Pair[];
  if (config.data.pairs === "tiny") {
    train = tinyPairs(config.data.train_count, config.seed, "train");
    held = config.data.eval_pairs
      ? readPairs(config.data.eval_pairs)
      : tinyPairs(config.data.eval_count, config.seed, "eval");
  } else {
    const all = readPairs(config.data.pairs);
    if (config.data.eval_pairs) {
      train = all;
      held = readPairs(config.data.eval_pairs);
    } else {
      if (all.length <= config.data.eval_count) {
        throw new UsageError(
          `${config.data.pairs}: ${all.length} pairs leave none to train on after ${config.data.eval_count} held out`,
        );
      }
      train = all.slice(0, all.length - config.data.eval_count);
      held = all.slice(all.length - config.data.eval_count);
    }
  }

  let baseDir = config.model.init;
  if (baseDir === "tiny") baseDir = buildTinyBase(config.model.tiny, config.model.cache, { log, kernel }).dir;
  if (!existsSync(baseDir)) throw new UsageError(`model.init: ${baseDir} does not exist`);
  const base = loadPolicy(baseDir, kernel, log);
  const rm = RewardModel.fromLanguageModel(base.model, config.seed);
  if (config.model.lora) {
    rm.trunk.attachLora(config.model.lora, config.seed);
  }
  const trainSeqs = tokenPairs(base.tokenizer, train);
  const heldSeqs = tokenPairs(base.tokenizer, held);
  if (trainSeqs.length === 0) throw new UsageError("no labelled training pairs");
  const before = rewardAccuracy(rm, heldSeqs);
  log(
    `reward model on ${baseDir}: ${rm.trunk.numParams} trunk parameters${config.model.lora ? ` (LoRA rank ${config.model.lora.rank}, trunk frozen)` : ""}; ${trainSeqs.length} training pairs, ${heldSeqs.length} held out; held-out accuracy before training ${(100 * before.accuracy).toFixed(1)}%`,
  );
  const every = Math.max(1, Math.floor(config.train.steps / 20));
  let window: number[] = [];
  const losses = trainRewardModel(rm, trainSeqs, {
    steps: config.train.steps,
    batchSize: config.train.batch_size,
    lr: config.train.lr,
    weightDecay: config.train.weight_decay,
    gradClip: config.train.grad_clip,
    seed: config.seed,
    onStep: ({ step, loss, accuracy }) => {
      window.push(accuracy);
      if ((step + 1) % every === 0 || step + 1 === config.train.steps) {
        const acc = window.reduce((a, b) => a + b, 0) / window.length;
        const s = (performance.now() - started) / 1000;
        log(
          `  step ${step + 1}/${config.train.steps} loss ${loss.toFixed(3)} batch accuracy ${(100 * acc).toFixed(0)}% (${s.toFixed(0)}s)`,
        );
        window = [];
      }
    },
  });
  const after = rewardAccuracy(rm, heldSeqs);
  // LoRA adapters merged into the trunk: the folder is one plain model.
  const out = new RewardModel(mergedModel(rm.trunk), rm.score);
  mkdirSync(config.output, { recursive: true });
  saveRewardModel(join(config.output, "final"), out, base.tokenizer);
  const summary = {
    base: baseDir,
    lora: config.model.lora ?? null,
    trainPairs: trainSeqs.length,
    heldOutPairs: heldSeqs.length,
    heldOutBefore: before,
    heldOutAfter: after,
    finalLoss: losses[losses.length - 1],
    minutes: (performance.now() - started) / 60000,
  };
  writeFileSync(join(config.output, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `held-out accuracy ${(100 * before.accuracy).toFixed(1)}% -> ${(100 * after.accuracy).toFixed(1)}% on ${after.n} pairs (mean margin ${after.meanMargin.toFixed(2)}, ties ${after.ties}); wrote ${join(config.output, "final")} (${summary.minutes.toFixed(1)} min)`,
  );
  return 0;
}
