// The scalar reward model recipe (wz train-rm): a Bradley-Terry head on a base's trunk, trained on
// labelled pairs, its held-out accuracy before and after, and a Hugging Face
// *ForSequenceClassification folder.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../data/config-file.ts";
import type { Pair } from "../../data/pairs.ts";
import { mergedModel } from "../../model/checkpoint.ts";
import type { ComputeBackend } from "../../model/kernels/types.ts";
import { RewardModel, saveRewardModel } from "../../model/reward-model.ts";
import type { TextTokenizer } from "../../model/tokenizer/tokenizer.ts";
import { chatSequence } from "../../rl/data.ts";
import { loadPolicy } from "../../rl/loop.ts";
import { rewardAccuracy, type TokenPair, trainRewardModel } from "../../rm/train.ts";
import { makeJudgePairs } from "../../world/tiny-judge-data.ts";
import { readPairs, readPairsFromRows } from "../genrm/pairs.ts";
import { baseModelPath } from "../model-block.ts";
import type { RmConfig } from "./config.ts";

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

export async function runRewardModel(
  config: RmConfig,
  kernel: ComputeBackend,
  log: (line: string) => void,
): Promise<number> {
  const started = performance.now();
  let train: Pair[];
  let held: Pair[];
  if (config.data.pairs === "tiny") {
    train = readPairsFromRows(makeJudgePairs(config.data.train_count, config.seed, "train"));
    held = config.data.eval_pairs
      ? readPairs(config.data.eval_pairs)
      : readPairsFromRows(makeJudgePairs(config.data.eval_count, config.seed, "eval"));
  } else {
    const all = readPairs(config.data.pairs);
    if (config.data.eval_pairs) {
      train = all;
      held = readPairs(config.data.eval_pairs);
    } else {
      if (all.length <= config.data.eval_count) {
        throw new ConfigError(
          `${config.data.pairs}: ${all.length} pairs leave none to train on after ${config.data.eval_count} held out`,
        );
      }
      train = all.slice(0, all.length - config.data.eval_count);
      held = all.slice(all.length - config.data.eval_count);
    }
  }

  const baseDir = baseModelPath(config.model, { kernel, log });
  const base = loadPolicy(baseDir, kernel, log);
  const rm = RewardModel.fromLanguageModel(base.model, config.seed);
  if (config.model.lora) {
    rm.trunk.attachLora(config.model.lora, config.seed);
  }
  const trainSeqs = tokenPairs(base.tokenizer, train);
  const heldSeqs = tokenPairs(base.tokenizer, held);
  if (trainSeqs.length === 0) throw new ConfigError("no labelled training pairs");
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
