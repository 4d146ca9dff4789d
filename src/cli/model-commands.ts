// Engine commands: `wz tokenizer train`, `wz init-model`, `wz export`, `wz sample`, `wz score`,
// `wz finetune`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ChatMessage } from "../llm/types.ts";
import {
  exportGguf,
  GGUF_WEIGHT_TYPES,
  type GgufWeightType,
  loadModelFolder,
  loadTokenizer,
  mergedModel,
  saveLoraAdapter,
  saveModelFolder,
} from "../model/checkpoint.ts";
import type { ModelConfig } from "../model/config.ts";
import { DecoderModel } from "../model/decoder.ts";
import { importGguf } from "../model/gguf-import.ts";
import { selectKernel } from "../model/kernels/select.ts";
import { LORA_TARGETS } from "../model/lora.ts";
import { evalLoss, pretrain } from "../model/pretrain.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { createGenerator } from "../recipes/generators.ts";
import { chatMessagesSequence, chatSequence, responseLogprobs } from "../rl/data.ts";
import { UsageError } from "./errors.ts";
import { numberFlag, numberOf } from "./flags.ts";

export const TOKENIZER_HELP = `wz tokenizer train --input corpus.txt --vocab-size N --output DIR

Trains a byte-level BPE tokenizer (all 256 bytes kept, ChatML special tokens added) and writes
DIR/tokenizer.json and DIR/tokenizer_config.json (with a ChatML chat template).`;

export const INIT_HELP = `wz init-model --tokenizer DIR --output DIR [--hidden 128] [--layers 4] [--heads 4]
  [--kv-heads 2] [--head-dim 32] [--intermediate 384] [--tied] [--seed 1] [--rope-theta 1000000]

Writes a randomly initialised (seeded) Qwen3 model folder that uses the tokenizer in DIR.`;

export const EXPORT_HELP = `wz export MODEL_DIR --gguf OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_1]

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
  const n = numberOf(values, "vocab-size", { int: true, min: 260 });
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
  const int = (name: string) => numberOf(values, name, { int: true, min: 1 });
  const cfg: ModelConfig = {
    vocabSize: tok.vocabSize,
    hiddenSize: int("hidden"),
    numLayers: int("layers"),
    numHeads: int("heads"),
    numKVHeads: int("kv-heads"),
    headDim: int("head-dim"),
    intermediateSize: int("intermediate"),
    rmsNormEps: 1e-6,
    ropeTheta: numberOf(values, "rope-theta", { min: 1 }),
    tieWordEmbeddings: values.tied as boolean,
    maxPositionEmbeddings: 4096,
    bosTokenId: null,
    eosTokenId: tok.eosId,
  };
  if (cfg.numHeads % cfg.numKVHeads !== 0) throw new UsageError("--heads must be a multiple of --kv-heads");
  const model = DecoderModel.random(cfg, int("seed"));
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
  if (!GGUF_WEIGHT_TYPES.includes(type))
    throw new UsageError(`--type: expected one of ${GGUF_WEIGHT_TYPES.join(", ")}, got "${type}"`);
  const { model, tokenizer } = loadModelFolder(dir);
  if (!tokenizer) throw new UsageError(`${dir}: no tokenizer.json; GGUF needs the tokenizer`);
  writeFileSync(values.gguf, exportGguf(model, tokenizer, type));
  console.log(`wrote ${values.gguf} (${type})`);
  return 0;
}

export const IMPORT_HELP = `wz import MODEL.gguf --output DIR

Reads a GGUF model (llama, qwen2 or qwen3 architecture; F32, F16, BF16, Q8_0, Q4_0 or Q4_1
tensors) into a Hugging Face folder our engine trains: the weights dequantised to f32 (llama's
q/k rows put back in Hugging Face's order), config.json, and tokenizer.json and
tokenizer_config.json rebuilt from the GGUF's tokenizer (byte-level BPE) and chat template.`;

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(IMPORT_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path || !values.output) throw new UsageError("usage: wz import MODEL.gguf --output DIR");
  if (!existsSync(path)) throw new UsageError(`${path}: file not found`);
  const started = performance.now();
  const { model, tokenizer, types } = importGguf(path, { log: (line) => console.error(line) });
  saveModelFolder(values.output, model, tokenizer);
  const kinds = Object.entries(types)
    .map(([t, n]) => `${n} ${t}`)
    .join(", ");
  console.log(
    `wrote ${values.output}: ${model.cfg.arch} model, ${model.numParams} parameters (${kinds} tensors dequantised to f32), vocabulary ${tokenizer.vocabSize} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  return 0;
}

export const SAMPLE_HELP = `wz sample MODEL --prompt TEXT [--n 4] [--temperature 0.8] [--max-tokens 128] [--seed 0]

Samples from a GGUF file or one of our model folders through llama.cpp, with the model's chat
template applied to the prompt.`;

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      prompt: { type: "string" },
      n: { type: "string", default: "4" },
      temperature: { type: "string", default: "0.8" },
      "max-tokens": { type: "string", default: "128" },
      seed: { type: "string", default: "0" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(SAMPLE_HELP);
    return 0;
  }
  if (!positionals[0] || !values.prompt) throw new UsageError("usage: wz sample MODEL --prompt TEXT");
  const options = {
    samples: numberOf(values, "n", { int: true, min: 1 }),
    temperature: numberOf(values, "temperature", { min: 0 }),
    maxTokens: numberOf(values, "max-tokens", { int: true, min: 1 }),
    seed: numberOf(values, "seed", { int: true }),
  };
  const generator = await createGenerator(`model=${positionals[0]}`);
  const [samples] = await generator.generate([{ id: "prompt", prompt: values.prompt }], options);
  for (const [i, s] of samples.entries()) console.log(`--- sample ${i + 1}\n${s}`);
  return 0;
}

export const SCORE_HELP = `wz score MODEL_DIR --input FILE.jsonl

Log-probabilities of given responses under one of our model folders (our engine, teacher
forcing): each input line {"id"?, "prompt", "response"} gives an output line {id, logprob,
tokens, mean_logprob}, where the prompt is wrapped in the model's chat template and the
response is followed by the end-of-turn token.`;

export async function scoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(SCORE_HELP);
    return 0;
  }
  if (!positionals[0] || !values.input) throw new UsageError("usage: wz score MODEL_DIR --input FILE.jsonl");
  const { model, tokenizer } = loadModelFolder(positionals[0], await selectKernel("auto"));
  if (!tokenizer) throw new UsageError(`${positionals[0]}: no tokenizer.json`);
  const lines = readFileSync(values.input, "utf8").split("\n");
  let bad = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: { id?: unknown; prompt?: unknown; response?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      row = {};
    }
    if (typeof row.prompt !== "string" || typeof row.response !== "string") {
      process.stderr.write(`skipped line ${i + 1}: needs string "prompt" and "response"\n`);
      bad++;
      return;
    }
    const seq = chatSequence(tokenizer, row.prompt, row.response);
    const { logp } = responseLogprobs(model, seq, false);
    const sum = Array.from(logp).reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify({
        id: row.id ?? `line-${i + 1}`,
        logprob: sum,
        tokens: logp.length,
        mean_logprob: sum / logp.length,
      }),
    );
  });
  return bad ? 1 : 0;
}

export const FINETUNE_HELP = `wz finetune MODEL_DIR --data FILE.jsonl --output DIR [--steps 100] [--lr 1e-4]
  [--batch 8] [--lora-rank R --lora-alpha A] [--seed 1]

Supervised fine-tuning on {"messages": [...]} lines (chat rows; loss on the last, assistant,
message only), {"prompt", "response"} lines (loss on the response tokens only, the prompt wrapped
in the chat template) or {"text"} lines (loss on every token). Writes a model
folder to DIR; with --lora-rank only LoRA adapters are trained, DIR/adapter holds them in the
PEFT layout and DIR the merged model.`;

export async function finetuneCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      output: { type: "string" },
      steps: { type: "string", default: "100" },
      lr: { type: "string", default: "1e-4" },
      batch: { type: "string", default: "8" },
      "lora-rank": { type: "string" },
      "lora-alpha": { type: "string" },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(FINETUNE_HELP);
    return 0;
  }
  if (!positionals[0] || !values.data || !values.output)
    throw new UsageError("usage: wz finetune MODEL_DIR --data FILE --output DIR");
  const kernel = await selectKernel("auto");
  const { model, tokenizer } = loadModelFolder(positionals[0], kernel);
  if (!tokenizer) throw new UsageError(`${positionals[0]}: no tokenizer.json`);
  const { sequences, starts } = readSftRows(values.data, tokenizer);
  if (sequences.length === 0) throw new UsageError(`${values.data}: no examples`);
  if (values["lora-rank"]) {
    model.attachLora(
      {
        rank: numberOf(values, "lora-rank", { int: true, min: 1 }),
        alpha:
          numberFlag(values, "lora-alpha", { min: 0 }) ??
          2 * numberOf(values, "lora-rank", { int: true, min: 1 }),
        targets: [...LORA_TARGETS],
      },
      numberOf(values, "seed", { int: true }),
    );
  }
  const steps = numberOf(values, "steps", { int: true, min: 1 });
  const before = evalLoss(model, sequences.slice(0, 64));
  pretrain(model, sequences, {
    steps,
    batchSize: numberOf(values, "batch", { int: true, min: 1 }),
    lr: numberOf(values, "lr", { min: 0 }),
    seed: numberOf(values, "seed", { int: true }),
    lossStart: starts,
    onStep: ({ step, loss }) => {
      if (step % 10 === 0 || step === steps - 1)
        process.stderr.write(`step ${step + 1}/${steps} loss ${loss.toFixed(4)}\n`);
    },
  });
  if (model.lora) saveLoraAdapter(join(values.output, "adapter"), model.lora);
  const out = mergedModel(model);
  saveModelFolder(values.output, out, tokenizer);
  console.log(
    `wrote ${values.output}; loss on the first 64 examples (all tokens) ${before.toFixed(4)} -> ${evalLoss(model, sequences.slice(0, 64)).toFixed(4)}`,
  );
  return 0;
}

/** SFT rows of a JSONL file as token sequences, each with the first position that takes loss. */
function readSftRows(path: string, tokenizer: TextTokenizer): { sequences: number[][]; starts: number[] } {
  const sequences: number[][] = [];
  const starts: number[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      let row: { prompt?: unknown; response?: unknown; text?: unknown; messages?: unknown };
      try {
        row = JSON.parse(line);
      } catch (e) {
        throw new UsageError(`${path}: line ${i + 1}: not valid JSON (${(e as Error).message})`);
      }
      if (Array.isArray(row.messages)) {
        const messages = row.messages as ChatMessage[];
        if (
          !messages.every(
            (m) => m && typeof m.content === "string" && ["system", "user", "assistant"].includes(m.role),
          )
        )
          throw new UsageError(
            `${path}: line ${i + 1}: each message needs "role" (system, user, assistant) and "content"`,
          );
        if (messages[messages.length - 1]?.role !== "assistant")
          throw new UsageError(
            `${path}: line ${i + 1}: the last message must be the assistant's (the one that takes loss)`,
          );
        const seq = chatMessagesSequence(tokenizer, messages);
        sequences.push(seq.tokens);
        starts.push(seq.promptLength - 1);
      } else if (typeof row.text === "string") {
        sequences.push(tokenizer.encode(row.text));
        starts.push(0);
      } else if (typeof row.prompt === "string" && typeof row.response === "string") {
        const seq = chatSequence(tokenizer, row.prompt, row.response);
        sequences.push(seq.tokens);
        starts.push(seq.promptLength - 1);
      } else
        throw new UsageError(`${path}: line ${i + 1} needs "messages", "text", or "prompt" and "response"`);
    });
  return { sequences, starts };
}
