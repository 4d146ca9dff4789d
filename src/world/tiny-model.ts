// Builds (or reuses from a cache folder) the tiny base model of the main job: a byte-level BPE
// tokenizer and a small Qwen3 model pretrained on the generated constrained-writing corpus.
// The result is an ordinary Hugging Face folder, keyed in the cache by a hash of its recipe.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { saveModelFolder } from "../model/checkpoint.ts";
import type { ModelConfig } from "../model/config.ts";
import { DecoderModel } from "../model/decoder.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import { evalLoss, pretrain } from "../model/pretrain.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { makeCorpus, type TaskExample } from "./constrained-writing.ts";

/** A config's `model.tiny:` block: the tiny base's size and pretraining. */
export const TinyRecipeSchema = z
  .object({
    corpus_size: z.number().int().positive().default(3000),
    vocab_size: z.number().int().min(300).default(700),
    hidden_size: z.number().int().positive().default(64),
    layers: z.number().int().positive().default(2),
    heads: z.number().int().positive().default(4),
    kv_heads: z.number().int().positive().default(2),
    head_dim: z.number().int().positive().default(16),
    intermediate_size: z.number().int().positive().default(192),
    pretrain_steps: z.number().int().nonnegative().default(250),
    batch_size: z.number().int().positive().default(16),
    lr: z.number().positive().default(4e-3),
    seed: z.number().int().default(1),
  })
  .strict();
export type TinyRecipe = z.infer<typeof TinyRecipeSchema>;

export const TINY_RECIPE_VERSION = "tiny-v1";

export function chatText(tok: TextTokenizer, prompt: string): string {
  return tok.applyChatTemplate([{ role: "user", content: prompt }], true);
}

export function exampleTokens(tok: TextTokenizer, e: TaskExample): number[] {
  return tok.encode(`${chatText(tok, e.prompt)}${e.response}<|im_end|>`);
}

export interface TinyBuild {
  dir: string;
  reused: boolean;
  heldOutLoss?: number;
}

export function buildTinyBase(
  recipe: TinyRecipe,
  cacheRoot: string,
  options: { log?: (line: string) => void; kernel?: ComputeBackend } = {},
): TinyBuild {
  const log = options.log ?? (() => {});
  const key = createHash("sha256")
    .update(JSON.stringify([TINY_RECIPE_VERSION, recipe]))
    .digest("hex")
    .slice(0, 12);
  const dir = join(cacheRoot, key);
  if (existsSync(join(dir, "DONE"))) {
    log(`tiny base model: reusing ${dir}`);
    return { dir, reused: true };
  }
  const started = performance.now();
  const corpus = makeCorpus(recipe.corpus_size, recipe.seed);
  const bpe = trainBpe(
    corpus.map((e) => `${e.prompt}\n${e.response}`),
    recipe.vocab_size,
  );
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const sequences = corpus.map((e) => exampleTokens(tok, e));
  const heldOut = sequences.splice(sequences.length - Math.max(20, Math.floor(sequences.length / 20)));
  const cfg: ModelConfig = {
    vocabSize: tok.vocabSize,
    hiddenSize: recipe.hidden_size,
    numLayers: recipe.layers,
    numHeads: recipe.heads,
    numKVHeads: recipe.kv_heads,
    headDim: recipe.head_dim,
    intermediateSize: recipe.intermediate_size,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 512,
    bosTokenId: null,
    eosTokenId: tok.eosId,
  };
  const model = DecoderModel.random(cfg, recipe.seed, "f32", options.kernel);
  log(
    `tiny base model: ${model.numParams} parameters, vocabulary ${tok.vocabSize}, ${sequences.length} training sequences; pretraining ${recipe.pretrain_steps} steps`,
  );
  pretrain(model, sequences, {
    steps: recipe.pretrain_steps,
    batchSize: recipe.batch_size,
    lr: recipe.lr,
    seed: recipe.seed,
    onStep: ({ step, loss }) => {
      if (step % 25 === 0 || step === recipe.pretrain_steps - 1) {
        const s = (performance.now() - started) / 1000;
        log(
          `  pretrain step ${step + 1}/${recipe.pretrain_steps} loss ${loss.toFixed(3)} (${s.toFixed(0)}s)`,
        );
      }
    },
  });
  const heldOutLoss = evalLoss(model, heldOut);
  log(`tiny base model: held-out loss ${heldOutLoss.toFixed(3)} nats/token`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveModelFolder(tmp, model, tok);
  writeFileSync(
    join(tmp, "recipe.json"),
    `${JSON.stringify({ version: TINY_RECIPE_VERSION, ...recipe, heldOutLoss }, null, 2)}\n`,
  );
  writeFileSync(join(tmp, "DONE"), "");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(cacheRoot, { recursive: true });
  renameSync(tmp, dir);
  return { dir, reused: false, heldOutLoss };
}
