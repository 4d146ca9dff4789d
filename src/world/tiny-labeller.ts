// A labelling model for the tiny world: human raters as real preference data has them. The gold
// judge says which response is better; a rater follows it, except that
//   - with probability `noise` they label a clear pair the wrong way round (careless raters), and
//   - when the gold sees little or no difference (a gap below `tie_margin` points of its 0-10
//     score), a rater who leans towards self-explanation picks the response that explains itself
//     (probability `explain_bias`), and one who leans towards length picks the longer response
//     (probability `length_bias`); otherwise they follow the gold, or toss a coin on an exact tie.
// Those two leanings are the ones the Writing-Zero paper blames for scalar reward models' hacking:
// longer outputs and self-explanation. With both biases 0 and noise 0 the labeller is the gold
// (the no-bias control). Pure: a seeded random source comes in, labels and a tally come out.
import { mulberry32 } from "../model/random.ts";
import type { Split } from "./constrained-writing.ts";
import { GOLD_JUDGE_VERSION, goldChecks, goldScore, parseGoldRequest } from "./tiny-gold.ts";
import { type LabelledPair, makeJudgePairs } from "./tiny-judge-data.ts";

/** The raters' version: a judge trained on their labels is cached under it (and under the gold's). */
export const RATERS_VERSION = `wz-tiny-raters-v1+${GOLD_JUDGE_VERSION}`;

export interface LabellerConfig {
  /** Probability of flipping the gold's label on a pair the gold separates clearly. */
  noise: number;
  /** Gold gaps below this many points (of 10) count as "no real difference" for a rater. */
  tieMargin: number;
  /** In a near tie, probability of preferring the response with commentary about itself. */
  explainBias: number;
  /** In a near tie, probability of preferring the longer response (by words). */
  lengthBias: number;
}

export const NO_BIAS: LabellerConfig = { noise: 0, tieMargin: 1, explainBias: 0, lengthBias: 0 };

/** Why a pair got its label; counted so every run can say how its labels were made. */
export type LabelReason = "gold" | "noise" | "explain" | "length" | "coin";

export interface RatedPair extends LabelledPair {
  /** The gold's own label, or null on an exact tie. */
  gold_label: "a" | "b" | null;
  reason: LabelReason;
}

interface Facts {
  score: number;
  words: number;
  commentary: boolean;
}

function facts(prompt: string, response: string): Facts | null {
  const req = parseGoldRequest(prompt);
  if (!req) return null;
  const c = goldChecks(req, response);
  return { score: goldScore(c), words: c.words, commentary: !c.noCommentary };
}

/** One rater's label for a pair, from the gold's facts about both responses. */
export function rateFacts(
  a: Facts,
  b: Facts,
  config: LabellerConfig,
  random: () => number,
): { label: "a" | "b"; gold: "a" | "b" | null; reason: LabelReason } {
  const gap = a.score - b.score;
  const gold = gap > 0 ? "a" : gap < 0 ? "b" : null;
  const other = (x: "a" | "b") => (x === "a" ? "b" : "a");
  if (Math.abs(gap) < config.tieMargin) {
    // Each leaning gets its own draw, so either bias alone can be switched off in the config.
    if (a.commentary !== b.commentary && random() < config.explainBias)
      return { label: a.commentary ? "a" : "b", gold, reason: "explain" };
    if (a.words !== b.words && random() < config.lengthBias)
      return { label: a.words > b.words ? "a" : "b", gold, reason: "length" };
    if (gold) return { label: gold, gold, reason: "gold" };
    return { label: random() < 0.5 ? "a" : "b", gold, reason: "coin" };
  }
  if (random() < config.noise) return { label: other(gold!), gold, reason: "noise" };
  return { label: gold!, gold, reason: "gold" };
}

/** Rates pairs with the labelling model; a seeded random source makes the labels reproducible. */
export function ratePairs(
  pairs: Omit<LabelledPair, "label">[],
  config: LabellerConfig,
  seed: number,
): RatedPair[] {
  const random = mulberry32(seed * 104729 + 17);
  return pairs.map((p) => {
    const a = facts(p.prompt, p.response_a);
    const b = facts(p.prompt, p.response_b);
    if (!a || !b) throw new Error(`labeller: the gold cannot read the request of pair ${p.id}`);
    const r = rateFacts(a, b, config, random);
    return { ...p, label: r.label, gold_label: r.gold, reason: r.reason };
  });
}

/**
 * n rated pairs on prompts of one split. The pairs are the GenRM preset's kinds (base-like
 * responses, salad, off-topic, repetition, commentary, over-long, missing word), exact gold ties
 * included: a rater labels those too, by a leaning or a coin.
 */
export function makeRatedPairs(
  n: number,
  seed: number,
  split: Split | readonly Split[],
  config: LabellerConfig,
  shares: { minimalShare?: number; tasteShare?: number; composedShare?: number } = {},
): RatedPair[] {
  return ratePairs(makeJudgePairs(n, seed, split, { keepTies: true, ...shares }), config, seed);
}

/**
 * Pairs of a model's own samples: consecutive samples of each prompt, two copies of one text
 * skipped. Preference data is collected this way (two answers of the model being trained), and a
 * judge that only saw constructed kinds of response has never met the policy's own near misses.
 */
export function samplePairs(
  items: { id: string; prompt: string; samples: string[] }[],
): Omit<LabelledPair, "label">[] {
  return items.flatMap((it) =>
    it.samples.flatMap((a, i) => {
      const b = it.samples[i + 1];
      if (i % 2 === 1 || b === undefined || a === b) return [];
      return [{ id: `${it.id}-s${i}`, prompt: it.prompt, response_a: a, response_b: b }];
    }),
  );
}

export interface LabelTally {
  pairs: number;
  /** Share of pairs whose label is the gold's (exact ties excluded). */
  agreesWithGold: number | null;
  reasons: Record<LabelReason, number>;
}

export function tallyLabels(pairs: RatedPair[]): LabelTally {
  const reasons: Record<LabelReason, number> = { gold: 0, noise: 0, explain: 0, length: 0, coin: 0 };
  let decided = 0;
  let agree = 0;
  for (const p of pairs) {
    reasons[p.reason]++;
    if (p.gold_label) {
      decided++;
      if (p.gold_label === p.label) agree++;
    }
  }
  return { pairs: pairs.length, agreesWithGold: decided ? agree / decided : null, reasons };
}
