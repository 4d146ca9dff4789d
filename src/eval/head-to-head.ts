// Two policies on the same held-out prompts: sample from each with the same seeds, then judge every
// pair under both orders by each judge given (the independent evaluation judge first, the training
// judge beside it for contrast), and describe each policy's texts.
import { extractConstraints, satisfiedShare } from "../judge/constraints.ts";
import type { PairwiseJudge } from "../judge/types.ts";
import { LlamaSampler } from "../llm/llama-sampler.ts";
import type { Sampler } from "../llm/types.ts";
import { derivedSeed } from "../model/random.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import type { PairFigure } from "../rl/monitor.ts";
import { sampleGroups } from "../rl/rollouts.ts";
import { diagnose, mean } from "../text/diagnostics.ts";
import { wilson } from "./intervals.ts";

/** One judge's tally of A against B. */
export interface WinTally {
  judge: string;
  pairs: number;
  wins: number;
  ties: number;
  losses: number;
  inconsistent: number;
  failed: number;
  /** (wins + (ties + inconsistent) / 2) / judged pairs, for policy A against policy B. */
  winRate: number | null;
  winRateCI: [number, number] | null;
}

/** What one policy's texts look like, task-independent, plus the task's own figures if any. */
export interface PolicyFigures {
  satisfied: number | null;
  allMet: number | null;
  words: number | null;
  commentaryTokens: number | null;
  distinct2: number | null;
  /** Figures of the task's independent checks (the tiny world's gold), keyed by name. */
  task: Record<string, number | null>;
}

/** The task figures (the tiny world's gold) in reading order: key, label, share or plain number. */
export const TASK_FIGURES: [key: string, label: string, kind: "share" | "number"][] = [
  ["fluent", "fluent (every sentence grammatical)", "share"],
  ["all_met", "all constraints met", "share"],
  ["required_word", "required word in a fluent sentence", "share"],
  ["on_topic", "on topic", "share"],
  ["length_ok", "within the length limit", "share"],
  ["no_commentary", "no commentary", "share"],
  ["no_repetition", "no repetition", "share"],
  ["taste", "taste (details set in their mood)", "share"],
  ["commentary_tokens", "commentary tokens per response", "number"],
  ["words", "words per response", "number"],
];

export interface HeadToHeadResult {
  /** One tally per judge, in the order given. */
  tallies: WinTally[];
  /**
   * One tally per pair figure given (its label in `judge`, its key in `key`): A against B over the
   * pairs the figure applies to, out of all pairs.
   */
  pairTallies?: (WinTally & { key: string })[];
  a: PolicyFigures;
  b: PolicyFigures;
  examples: { prompt: string; a: string; b: string; outcomes: string[] }[];
}

export interface HeadToHeadOptions {
  ggufA: string;
  /** A LoRA adapter (GGUF) applied to ggufA: a LoRA policy sampled as the trainer's sampler sees it. */
  loraA?: string;
  /** A sampler that holds A's weights already (a remote trainer's final policy): ggufA is not read. */
  samplerA?: Sampler;
  ggufB: string;
  tokenizer: TextTokenizer;
  prompts: { id: string; prompt: string }[];
  samplesPerPrompt: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  judges: PairwiseJudge[];
  /** llama.cpp threads for sampling (default 1). */
  threads?: number;
  /** Prompts sampled at once, each in its own context (default 1; the samples do not depend on it). */
  concurrency?: number;
  /** Task-specific figures over (prompt, response) items. */
  summarize?: (items: { prompt: string; response: string }[]) => Record<string, number | null>;
  /** Task-specific comparisons of each pair (the tiny world's taste where the constraints tie). */
  pairFigures?: PairFigure[];
}

async function sampleAll(
  path: string,
  o: HeadToHeadOptions,
  lora?: string,
  given?: Sampler,
): Promise<string[][]> {
  const sampler = given ?? new LlamaSampler(1024, o.threads ?? 1, 1, o.concurrency ?? 1);
  if (!given) await sampler.load(path, lora ? [{ filePath: lora, scale: 1 }] : undefined);
  try {
    const groups = await sampleGroups(sampler, o.tokenizer, o.prompts, {
      n: o.samplesPerPrompt,
      temperature: o.temperature,
      topP: 1,
      maxTokens: o.maxTokens,
      seedFor: (i) => derivedSeed(o.seed, "eval", i) & 0x7fffffff,
    });
    return groups.map((g) => g.map((r) => r.text));
  } finally {
    if (!given) await sampler.close();
  }
}

export function tally(judge: string, outcomes: string[]): WinTally {
  const count = (x: string) => outcomes.filter((o) => o === x).length;
  const wins = count("a");
  const ties = count("tie");
  const losses = count("b");
  const inconsistent = count("inconsistent");
  const failed = count("failed");
  // An order-inconsistent verdict is half a win, like a tie: the judge could not tell them apart.
  const judged = wins + ties + losses + inconsistent;
  const score = wins + (ties + inconsistent) / 2;
  return {
    judge,
    pairs: outcomes.length,
    wins,
    ties,
    losses,
    inconsistent,
    failed,
    winRate: judged ? score / judged : null,
    winRateCI: judged ? wilson(score, judged) : null,
  };
}

function figures(prompts: { prompt: string }[], texts: string[][], o: HeadToHeadOptions): PolicyFigures {
  const sat = prompts.flatMap((p, i) => texts[i].map((t) => satisfiedShare(extractConstraints(p.prompt), t)));
  const d = diagnose(texts.flat());
  const items = prompts.flatMap((p, i) => texts[i].map((response) => ({ prompt: p.prompt, response })));
  return {
    satisfied: mean(sat),
    allMet: mean(sat.map((x) => (x === 1 ? 1 : 0))),
    words: d.meanWords,
    commentaryTokens: d.overExplanationTokens,
    distinct2: d.distinct2,
    task: o.summarize?.(items) ?? {},
  };
}

export async function headToHead(o: HeadToHeadOptions): Promise<HeadToHeadResult> {
  const a = await sampleAll(o.ggufA, o, o.loraA, o.samplerA);
  const b = await sampleAll(o.ggufB, o);
  const pairs = o.prompts.flatMap((p, i) =>
    Array.from({ length: o.samplesPerPrompt }, (_, k) => ({ prompt: p.prompt, a: a[i][k], b: b[i][k] })),
  );
  const outcomes = await Promise.all(
    o.judges.map((j) => Promise.all(pairs.map((x) => j.compare(x.prompt, x.a, x.b).then((v) => v.outcome)))),
  );
  return {
    tallies: o.judges.map((j, k) => tally(j.name, outcomes[k])),
    pairTallies: o.pairFigures?.map((f) => ({
      key: f.key,
      ...tally(
        f.label,
        pairs.flatMap((x) => f.outcome(x.prompt, x.a, x.b) ?? []),
      ),
    })),
    a: figures(o.prompts, a, o),
    b: figures(o.prompts, b, o),
    examples: pairs.slice(0, 12).map((x, i) => ({ ...x, outcomes: outcomes.map((os) => os[i]) })),
  };
}
