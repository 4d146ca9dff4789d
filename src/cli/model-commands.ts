// Engine commands: `wz init-model`, `wz tokenizer train`, `wz export`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  exportGguf,
  type GgufWeightType,
  loadModelFolder,
  loadTokenizer,
  saveModelFolder,
} from "../model/checkpoint.ts";
import type { ModelConfig } from "../model/config.ts";
import { Qwen3Model } from "../model/qwen3.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { UsageError } from "./errors.ts";

export const TOKENIZER_HELP = `wz tokenizer train --input corpus.txt --vocab-size N --output DIR

Trains a byte-level BPE tokenizer (all 256 bytes kept, ChatML special tokens added) and writes
DIR/tokenizer.json and DIR/tokenizer_config.json (with a ChatML chat template).`;

export const INIT_HELP = `wz init-model --tokenizer DIR --output DIR [--hidden 128] [--layers 4] [--heads 4]
  [--kv-heads 2] [--head-dim 32] [--intermediate 384] [--tied] [--seed 1] [--rope-theta 1000000]

Writes a randomly initialised (seeded) Qwen3 model folder that uses the tokenizer in DIR.`;

export const EXPORT_HELP = `wz export MODEL_DIR --gguf OUT.gguf [--type f32|f16|q8_0]

Exports a Hugging Face model folder (ours or any Qwen3ForCausalLM with a byte-level BPE
tokenizer) to GGUF for llama.cpp and Ollama.`;

export async function tokenizerCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "train") {
    console.log(TOKENIZER_HELP);
    return sub === undefined || sub === "--help" || sub === "-h" ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      input: { type: "string" },
      "vocab-size": { type: "string", default: "1000" },
      output: { type: "string" },
    },
  });
  if (!values.input || !values.output) throw new UsageError("--input and --output are required");
  const n = Number(values["vocab-size"]);
  if (!Number.isInteger(n) || n < 260) throw new UsageError("--vocab-size: expected an integer >= 260");
  const lines = readFileSync(values.input, "utf8")
    .split("\n")
    .filter((l) => l.trim());
  const bpe = trainBpe(lines, n);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  saveTokenizer(values.output, tok);
  console.log(`wrote ${values.output}/tokenizer.json: ${tok.vocabSize} tokens, ${bpe.merges.length} merges`);
  return 0;
}

function saveTokenizer(dir: string, tok: TextTokenizer) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tok.json));
  writeFileSync(join(dir, "tokenizer_config.json"), `${JSON.stringify(tok.config, null, 2)}\n`);
}

export async function initModelCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tokenizer: { type: "string" },
      output: { type: "string" },
      hidden: { type: "string", default: "128" },
      layers: { type: "string", default: "4" },
      heads: { type: "string", default: "4" },
      "kv-heads": { type: "string", default: "2" },
      "head-dim": { type: "string", default: "32" },
      intermediate: { type: "string", default: "384" },
      "rope-theta": { type: "string", default: "1000000" },
      tied: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(INIT_HELP);
    return 0;
  }
  if (!values.tokenizer || !values.output) throw new UsageError("--tokenizer and --output are required");
  const tok = loadTokenizer(values.tokenizer);
  const int = (name: string) => {
    const v = Number((values as Record<string, unknown>)[name]);
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name}: expected a positive integer`);
    return v;
  };
  const cfg: ModelConfig = {
    vocabSize: tok.vocabSize,
    hiddenSize: int("hidden"),
    numLayers: int("layers"),
    numHeads: int("heads"),
    numKVHeads: int("kv-heads"),
    headDim: int("head-dim"),
    intermediateSize: int("intermediate"),
    rmsNormEps: 1e-6,
    ropeTheta: Number(values["rope-theta"]),
    tieWordEmbeddings: values.tied as boolean,
    maxPositionEmbeddings: 4096,
    bosTokenId: null,
    eosTokenId: tok.eosId,
  };
  if (cfg.numHeads % cfg.numKVHeads !== 0) throw new UsageError("--heads must be a multiple of --kv-heads");
  const model = Qwen3Model.random(cfg, int("seed"));
  saveModelFolder(values.output, model, tok);
  console.log(`wrote ${values.output}: ${model.numParams} parameters`);
  return 0;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      gguf: { type: "string" },
      type: { type: "string", default: "f32" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(EXPORT_HELP);
    return 0;
  }
  const dir = positionals[0];
  if (!dir || !values.gguf) throw new UsageError("usage: wz export MODEL_DIR --gguf OUT.gguf");
  const type = values.type as GgufWeightType;
  if (!["f32", "f16", "q8_0"].includes(type))
    throw new UsageError(`--type: expected f32, f16 or q8_0, got "${type}"`);
  const { model, tokenizer } = loadModelFolder(dir);
  if (!tokenizer) throw new UsageError(`${dir}: no tokenizer.json; GGUF needs the tokenizer`);
  writeFileSync(values.gguf, exportGguf(model, tokenizer, type));
  console.log(`wrote ${values.gguf} (${type})`);
  return 0;
}
