// The gold judge of the tiny world: it knows the world's grammar (every sentence a topic can say,
// the bank of words, the sentences of commentary) and checks a response against the request as
// the world's author would. It exists so that a policy trained against some other judge can be
// graded by one it never saw. EVALUATION ONLY: no training judge, estimator or loop may import it
// (test/world/boundary.test.ts fails if one does). Pure.
import {
  type Condition,
  decideOutcome,
  meanScores,
  type PairwiseJudge,
  scoredVerdict,
  type Verdict,
} from "../judge/types.ts";
import { DETAIL_MOODS, META, SCENE_MOODS, TOPICS, WORDS } from "./tiny-world.ts";

export const GOLD_JUDGE_VERSION = "wz-tiny-gold-v2";
const GOLD_IDENTITY = {
  templateVersion: GOLD_JUDGE_VERSION,
  principlesHash: GOLD_JUDGE_VERSION,
  model: "gold",
};

/** What the gold reads from a request: "... about the TOPIC. Include the word W. Use at most N words." */
export interface GoldRequest {
  topic: string;
  word: string;
  maxWords: number;
}

export function parseGoldRequest(prompt: string): GoldRequest | null {
  const m = prompt.match(/about the (\w+)\. Include the word (\w+)\. Use at most (\d+) words\./);
  if (!m || !(m[1] in TOPICS) || !WORDS.includes(m[2])) return null;
  return { topic: m[1], word: m[2], maxWords: Number(m[3]) };
}

/** One sentence as the world's grammar reads it. */
export type ParsedSentence =
  | { kind: "content"; topic: string; base: string; near: string | null }
  | { kind: "commentary" }
  | { kind: "invalid" };

const BASE_TO_TOPIC = new Map<string, string>(
  Object.entries(TOPICS).flatMap(([topic, lines]) => lines.map((l) => [l, topic] as [string, string])),
);
const COMMENTARY = new Set(META.map((m) => m.toLowerCase()));

export function parseSentence(s: string): ParsedSentence {
  if (COMMENTARY.has(s.trim().toLowerCase())) return { kind: "commentary" };
  const m = s.match(/^([A-Z][a-z ]*[a-z])\.$/);
  if (!m) return { kind: "invalid" };
  const text = m[1][0].toLowerCase() + m[1].slice(1);
  const near = text.match(/^(.*) near a (\w+)$/);
  const base = near ? near[1] : text;
  const topic = BASE_TO_TOPIC.get(base);
  if (!topic || (near && !WORDS.includes(near[2]))) return { kind: "invalid" };
  return { kind: "content", topic, base, near: near ? near[2] : null };
}

export function goldSentences(response: string): string[] {
  return response
    .trim()
    .split(/(?<=[.!?])\s+/)
    .filter((s) => s.length > 0);
}

export interface GoldChecks {
  /** Every sentence is one the world's grammar can derive (content or commentary). */
  fluent: boolean;
  /** Share of sentences the grammar derives. */
  fluentShare: number;
  /** At least one content sentence, and every content sentence is about the requested topic. */
  onTopic: boolean;
  /** The required word appears as "near a WORD" in a grammatical content sentence. */
  requiredWord: boolean;
  /** At most the requested number of words (and at least one). */
  length: boolean;
  /** No sentence of commentary about the response or the request. */
  noCommentary: boolean;
  /** No content sentence said twice. */
  noRepetition: boolean;
  /** Every check above (the request's constraints and the general checks; taste is not one). */
  allMet: boolean;
  /**
   * Taste: the share of the response's details ("near a WORD") set beside a scene of their own
   * mood (tiny-world.ts); null when it places no detail.
   */
  taste: number | null;
  words: number;
  commentaryTokens: number;
}

export function goldChecks(request: GoldRequest, response: string): GoldChecks {
  const sentences = goldSentences(response);
  const parsed = sentences.map(parseSentence);
  const content = parsed.filter((p) => p.kind === "content");
  const words = response.match(/\S+/g)?.length ?? 0;
  const fluentCount = parsed.filter((p) => p.kind !== "invalid").length;
  const bases = content.map((c) => c.base);
  const commentaryTokens = sentences
    .filter((_, i) => parsed[i].kind === "commentary")
    .reduce((s, x) => s + (x.match(/\S+/g)?.length ?? 0), 0);
  const placed = content.filter((c) => c.near !== null);
  const checks = {
    taste: placed.length
      ? placed.filter((c) => DETAIL_MOODS[c.near!] === SCENE_MOODS[c.base]).length / placed.length
      : null,
    fluent: sentences.length > 0 && fluentCount === sentences.length,
    fluentShare: sentences.length ? fluentCount / sentences.length : 0,
    onTopic: content.length > 0 && content.every((c) => c.topic === request.topic),
    requiredWord: content.some((c) => c.near === request.word),
    length: words >= 1 && words <= request.maxWords,
    noCommentary: !parsed.some((p) => p.kind === "commentary"),
    noRepetition: new Set(bases).size === bases.length,
    words,
    commentaryTokens,
  };
  return {
    ...checks,
    allMet:
      checks.fluent &&
      checks.onTopic &&
      checks.requiredWord &&
      checks.length &&
      checks.noCommentary &&
      checks.noRepetition,
  };
}

/**
 * The checks that are not the request's or taste's, in [0, 1]: fluency weighs most (a grammatical
 * answer that misses the word beats word salad that contains it), then topic and the required
 * word, then the rest. (This was the whole score of wz-tiny-gold-v1.)
 */
function generalScore(c: GoldChecks): number {
  const parts: [number, number][] = [
    [4, c.fluentShare],
    [2, c.onTopic ? 1 : 0],
    [2, c.requiredWord ? 1 : 0],
    [1, c.length ? 1 : 0],
    [1, c.noCommentary ? 1 : 0],
    [1, c.noRepetition ? 1 : 0],
  ];
  return parts.reduce((s, [w, x]) => s + w * x, 0) / parts.reduce((s, [w]) => s + w, 0);
}

/**
 * The gold's quality score in [0, 10], ranking as the world's author would: the request's explicit
 * constraints first (topic, the required word in a grammatical sentence, length: 4 points of 15
 * each), then taste (2), then the general checks (1). Each rank outweighs everything below it: one
 * more constraint met beats any taste, and a detail set in its mood beats any general difference.
 */
export function goldScore(c: GoldChecks): number {
  if (c.words === 0) return 0;
  const explicit = 4 * ((c.onTopic ? 1 : 0) + (c.requiredWord ? 1 : 0) + (c.length ? 1 : 0));
  return (10 * (explicit + 2 * (c.taste ?? 0) + generalScore(c))) / 15;
}

/** The gold as a pairwise judge: deterministic, so both orders always agree. */
export class TinyGoldJudge implements PairwiseJudge {
  readonly name = `gold:${GOLD_JUDGE_VERSION}`;

  async compare(prompt: string, responseA: string, responseB: string): Promise<Verdict> {
    const request = parseGoldRequest(prompt);
    if (!request) {
      const failed: Condition[] = (["ab", "ba"] as const).map((order) => ({
        order,
        vote: 0,
        scoreA: null,
        scoreB: null,
        winner: null,
        raw: null,
        error: "not_a_tiny_prompt",
        errorDetail: "the gold judge reads only the tiny world's requests",
        latencyMs: 0,
        usage: null,
        attempts: 0,
        cached: false,
      }));
      return this.verdict(failed, responseA, responseB);
    }
    const checksA = goldChecks(request, responseA);
    const checksB = goldChecks(request, responseB);
    return scoredVerdict({
      scoreA: goldScore(checksA),
      scoreB: goldScore(checksB),
      critique: { a: checksA, b: checksB },
      responseA,
      responseB,
      ...GOLD_IDENTITY,
    });
  }

  private verdict(conditions: Condition[], a: string, b: string): Verdict {
    return {
      outcome: decideOutcome(conditions),
      ...meanScores(conditions),
      conditions,
      ...GOLD_IDENTITY,
      sampling: null,
      lengthA: a.length,
      lengthB: b.length,
    };
  }
}

/** Shares over many (prompt, response) items; prompts the gold cannot read are counted apart. */
export interface GoldSummary {
  count: number;
  unreadable: number;
  fluent: number | null;
  onTopic: number | null;
  requiredWord: number | null;
  length: number | null;
  noCommentary: number | null;
  noRepetition: number | null;
  allMet: number | null;
  /** Mean taste over the responses that place a detail. */
  taste: number | null;
  meanScore: number | null;
  meanWords: number | null;
  commentaryTokens: number | null;
}

export function goldSummary(items: { prompt: string; response: string }[]): GoldSummary {
  const checks: GoldChecks[] = [];
  let unreadable = 0;
  for (const it of items) {
    const req = parseGoldRequest(it.prompt);
    if (req) checks.push(goldChecks(req, it.response));
    else unreadable++;
  }
  const share = (f: (c: GoldChecks) => boolean) =>
    checks.length ? checks.filter(f).length / checks.length : null;
  const avg = (f: (c: GoldChecks) => number) =>
    checks.length ? checks.reduce((s, c) => s + f(c), 0) / checks.length : null;
  return {
    count: checks.length,
    unreadable,
    fluent: share((c) => c.fluent),
    onTopic: share((c) => c.onTopic),
    requiredWord: share((c) => c.requiredWord),
    length: share((c) => c.length),
    noCommentary: share((c) => c.noCommentary),
    noRepetition: share((c) => c.noRepetition),
    allMet: share((c) => c.allMet),
    taste: (() => {
      const placed = checks.flatMap((c) => (c.taste === null ? [] : [c.taste]));
      return placed.length ? placed.reduce((a, b) => a + b, 0) / placed.length : null;
    })(),
    meanScore: avg(goldScore),
    meanWords: avg((c) => c.words),
    commentaryTokens: avg((c) => c.commentaryTokens),
  };
}

/**
 * Taste between two responses whose explicit constraints tie: null unless both meet the same
 * constraints of the request (topic, the word, the length: each check alike) and both place a
 * detail; then the one whose details sit more in their scene's mood wins, or a tie. A win rate over
 * these pairs says whether a policy's taste moved where the request gives no reason to prefer one.
 */
export function goldTasteOnTiedConstraints(
  prompt: string,
  responseA: string,
  responseB: string,
): "a" | "b" | "tie" | null {
  const request = parseGoldRequest(prompt);
  if (!request) return null;
  const a = goldChecks(request, responseA);
  const b = goldChecks(request, responseB);
  const tied = a.onTopic === b.onTopic && a.requiredWord === b.requiredWord && a.length === b.length;
  if (!tied || a.taste === null || b.taste === null) return null;
  return a.taste > b.taste ? "a" : a.taste < b.taste ? "b" : "tie";
}
