// `wz train-rm CONFIG`: a scalar Bradley-Terry reward model on labelled pairs, from the tiny base,
// a model folder or a GGUF; every weight or LoRA adapters on a frozen trunk, the value head always.
// Writes DIR/final (a *ForSequenceClassification folder transformers loads) and DIR/summary.json
// with the held-out accuracy before and after.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { selectKernel } from "../model/kernels/select.ts";
import { parseRmConfig } from "../recipes/reward-model/config.ts";
import { runRewardModel } from "../recipes/reward-model/run.ts";
import { UsageError } from "./errors.ts";

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

  return runRewardModel(config, kernel, log);
}
