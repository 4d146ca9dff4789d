// The run's prompts: the tiny world's generated requests, or a JSONL file; the held-out set for
// the final evaluation never overlaps training unless there are too few prompts (then it says so).
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../../data/config-file.ts";
import { type PromptItem, parsePromptsJsonl } from "../../data/prompts.ts";
import { makePrompts } from "../../world/constrained-writing.ts";
import type { TrainConfig } from "./config.ts";

export function loadPrompts(
  config: TrainConfig,
  log: (line: string) => void,
): { train: PromptItem[]; evalSet: PromptItem[] } {
  const read = (path: string, key = "data.prompts") => {
    if (!existsSync(path)) throw new ConfigError(`${key}: prompt file ${path} does not exist`);
    try {
      return parsePromptsJsonl(readFileSync(path, "utf8"), path);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  };
  // A named evaluation file is always read (for tiny prompts too): never silently ignored.
  const evalFile = config.data.eval_prompts ? read(config.data.eval_prompts, "data.eval_prompts") : null;
  if (config.data.prompts === "tiny") {
    return {
      train: makePrompts(config.data.train_count, config.seed, "train"),
      evalSet: evalFile ?? makePrompts(config.data.eval_count, config.seed, "eval"),
    };
  }
  const train = read(config.data.prompts);
  if (evalFile) return { train, evalSet: evalFile };
  // No separate file: hold the last eval_count prompts out of training, so the final evaluation
  // is on prompts the policy never trained on (when there are too few, say so and share them).
  const n = config.data.eval_count;
  if (train.length >= 2 * n)
    return { train: train.slice(0, train.length - n), evalSet: train.slice(train.length - n) };
  log(
    `wz: only ${train.length} prompts: the final evaluation reuses training prompts (set data.eval_prompts)`,
  );
  return { train, evalSet: train.slice(0, n) };
}
