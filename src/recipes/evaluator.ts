// The evaluation judge of a run: the judge of every figure that claims the policy got better, and
// of the over-optimisation monitor during training. It must not be the judge the policy trains
// against; when the user asks for that anyway (or nothing independent exists), the run says so.
// This is the one place, with the CLI, allowed to reach the tiny world's gold.
import { isDeepStrictEqual } from "node:util";
import type { PairwiseJudge } from "../judge/types.ts";
import type { EvalMonitor } from "../rl/monitor.ts";
import {
  goldChecks,
  goldScore,
  goldSummary,
  goldTasteOnTiedConstraints,
  parseGoldRequest,
  TinyGoldJudge,
} from "../world/tiny-gold.ts";
import { judgeSpecFromConfig } from "./judges/config.ts";
import { createJudge } from "./judges/index.ts";
import type { BuiltJudge } from "./judges/spec.ts";
import type { TrainConfig } from "./writing-rl/config.ts";

export interface BuiltEvaluator {
  judge: PairwiseJudge;
  /** False when the evaluation judge is the training judge: its figures are then not evidence. */
  independent: boolean;
  monitor: EvalMonitor;
  describe(): string;
  close(): void;
}

export function goldMonitor(): EvalMonitor {
  const judge = new TinyGoldJudge();
  return {
    judge,
    summarize: (items) => {
      const s = goldSummary(items);
      return {
        fluent: s.fluent,
        on_topic: s.onTopic,
        required_word: s.requiredWord,
        length_ok: s.length,
        no_commentary: s.noCommentary,
        no_repetition: s.noRepetition,
        all_met: s.allMet,
        taste: s.taste,
        words: s.meanWords,
        commentary_tokens: s.commentaryTokens,
      };
    },
    pairFigures: [
      {
        key: "taste_tied",
        label: "taste where the constraints tie (gold)",
        outcome: goldTasteOnTiedConstraints,
      },
    ],
    score: (prompt, response) => {
      const req = parseGoldRequest(prompt);
      return req ? goldScore(goldChecks(req, response)) : null;
    },
  };
}

export function createEvaluator(
  config: TrainConfig,
  training: BuiltJudge,
  plausibilityModel?: string,
  /** The run's prompts: the gold may grade prompt files whose every request it can read. */
  prompts: { id: string; prompt: string }[] = [],
): BuiltEvaluator {
  let choice = config.eval.judge;
  if (choice === "auto") choice = config.data.prompts === "tiny" ? "gold" : "training";
  if (choice === "gold") {
    const unreadable =
      config.data.prompts === "tiny" ? undefined : prompts.find((p) => !parseGoldRequest(p.prompt));
    if (config.data.prompts !== "tiny" && (prompts.length === 0 || unreadable))
      throw new Error(
        `eval.judge: gold: the gold judge knows only the tiny world's requests (data.prompts: tiny, or a file of them)${unreadable ? `; prompt ${unreadable.id} is not one` : ""}`,
      );
    const monitor = goldMonitor();
    return {
      judge: monitor.judge,
      independent: true,
      monitor,
      describe: () => `${monitor.judge.name} (the tiny world's gold; never trained against)`,
      close() {},
    };
  }
  if (choice === "training" || isDeepStrictEqual(choice, config.judge)) {
    return {
      judge: training.judge,
      independent: false,
      monitor: { judge: training.judge },
      describe: () =>
        `${training.judge.name} (THE TRAINING JUDGE: its figures are a training signal, not evidence)`,
      close() {},
    };
  }
  const built = createJudge(judgeSpecFromConfig(choice, plausibilityModel));
  return {
    judge: built.judge,
    independent: true,
    monitor: { judge: built.judge },
    describe: () => built.describe(),
    close: () => built.close(),
  };
}
