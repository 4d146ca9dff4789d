// Two policies on the same held-out prompts: sample from each with the same seeds, judge every
// pair under both orders, and report the win rate and constraint satisfaction of each.
import { extractConstraints, satisfiedShare } from "../judge/constraints.ts";
import type { PairwiseJudge } from "../judge/types.ts";
import { LlamaSampler } from "../llm/llama-sampler.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { derivedSeed } from "../rl/random.ts";
import { sampleGroups } from "../rl/rollouts.ts";
import { diagnose, mean } from "./diagnostics.ts";
import { wilson } from "./intervals.ts";

export interface HeadToHeadResult {
  pairs: number;
  wins: number;
  ties: number;
  losses: number;
  inconsistent: number;
  failed: number;
  /** (wins + ties / 2) / judged pairs, for policy A against policy B. */
  winRate: number | null;
  winRateCI: [number, number] | null;
  satisfiedA: number | null;
  satisfiedB: number | null;
  allMetA: number | null;
  allMetB: number | null;
  overExplanationA: number | null;
  overExplanationB: number | null;
  lengthA: number | null;
  lengthB: number | null;
  examples: { prompt: string; a: string; b: string; outcome: string }[];
}

export interface HeadToHeadOptions {
  ggufA: string;
  ggufB: string;
  tokenizer: TextTokenizer;
  prompts: { id: string; prompt: string }[];
  samplesPerPrompt: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  judge: PairwiseJudge;
}

async function sampleAll(path: string, o: HeadToHeadOptions): Promise<string[][]> {
  const sampler = new LlamaSampler(1024);
  await sampler.load(path);
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
    await sampler.close();
  }
}

export async function headToHead(o: HeadToHeadOptions): Promise<HeadToHeadResult> {
  const a = await sampleAll(o.ggufA, o);
  const b = await sampleAll(o.ggufB, o);
  const jobs: Promise<{ prompt: string; a: string; b: string; outcome: string }>[] = [];
  o.prompts.forEach((p, i) => {
    for (let k = 0; k < o.samplesPerPrompt; k++) {
      jobs.push(
        o.judge
          .compare(p.prompt, a[i][k], b[i][k])
          .then((v) => ({ prompt: p.prompt, a: a[i][k], b: b[i][k], outcome: v.outcome })),
      );
    }
  });
  const results = await Promise.all(jobs);
  const count = (x: string) => results.filter((r) => r.outcome === x).length;
  const wins = count("a");
  const ties = count("tie");
  const losses = count("b");
  const inconsistent = count("inconsistent");
  const failed = count("failed");
  // An order-inconsistent verdict is half a win, like a tie: the judge could not tell them apart.
  const judged = wins + ties + losses + inconsistent;
  const score = wins + (ties + inconsistent) / 2;
  const sat = (texts: string[][]) =>
    o.prompts.flatMap((p, i) => texts[i].map((t) => satisfiedShare(extractConstraints(p.prompt), t)));
  const satA = sat(a);
  const satB = sat(b);
  const da = diagnose(a.flat());
  const db = diagnose(b.flat());
  return {
    pairs: results.length,
    wins,
    ties,
    losses,
    inconsistent,
    failed,
    winRate: judged ? score / judged : null,
    winRateCI: judged ? wilson(score, judged) : null,
    satisfiedA: mean(satA),
    satisfiedB: mean(satB),
    allMetA: mean(satA.map((x) => (x === 1 ? 1 : 0))),
    allMetB: mean(satB.map((x) => (x === 1 ? 1 : 0))),
    overExplanationA: da.overExplanationTokens,
    overExplanationB: db.overExplanationTokens,
    lengthA: da.meanWords,
    lengthB: db.meanWords,
    examples: results.slice(0, 12),
  };
}
