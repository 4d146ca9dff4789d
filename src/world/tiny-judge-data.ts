// Labelled pairs for training a GenRM in the tiny world (the critiques come from tiny-teacher.ts).
// Responses are the kinds a base model writes (the generator's) and the kinds of bad responses real
// policies produce: word salad, fragments carrying the word, off-topic sentences, repetition,
// commentary, over-long text, a missing word. The gold judge labels each pair: here it plays the
// human labeller, which is its one use outside evaluation (the policy-side rule stands: no training
// judge of a policy imports it).
import { mulberry32, pick, shuffled } from "../model/random.ts";
import { makePrompt, makeResponse, type Split } from "./constrained-writing.ts";
import { goldChecks, goldScore, parseGoldRequest } from "./tiny-gold.ts";
import { DETAIL_MOODS, META, SCENE_MOODS, sentence, TOPICS, WORDS } from "./tiny-world.ts";

export interface LabelledPair {
  id: string;
  prompt: string;
  response_a: string;
  response_b: string;
  label: "a" | "b";
  /** How the pair was made: "taste", "minimal", or the kind of the response the gold ranks lower. */
  kind?: string;
}

type Maker = (p: ReturnType<typeof makePrompt>, r: () => number) => string;

function topicLine(topic: string, r: () => number, word?: string): string {
  const base = pick(TOPICS[topic], r);
  return sentence(word ? `${base} near a ${word}` : base);
}

/** A scene without its last word: no sentence of the world ("a bench waits in the"). */
const cutShort = (scene: string) => scene.split(" ").slice(0, -1).join(" ");

/** A bank word other than the requested one. */
const otherWord = (word: string, r: () => number) =>
  pick(
    WORDS.filter((w) => w !== word),
    r,
  );

/** A topic other than the requested one. */
const otherTopic = (topic: string, r: () => number) =>
  pick(
    Object.keys(TOPICS).filter((t) => t !== topic),
    r,
  );

const MAKERS: Record<string, Maker> = {
  base: (p, r) => makeResponse(p, r).response,
  good: (p, r) => topicLine(p.topic, r, p.word),
  wrongWord: (p, r) => topicLine(p.topic, r, otherWord(p.word, r)),
  noWord: (p, r) => topicLine(p.topic, r),
  salad: (p, r) => {
    // the words of a good sentence, shuffled: the rule checks still see the word
    const words = topicLine(p.topic, r, p.word).replace(/\.$/, "").toLowerCase().split(" ");
    return sentence(shuffled(words, r).join(" "));
  },
  offTopic: (p, r) => {
    const other = otherTopic(p.topic, r);
    return topicLine(other, r, r() < 0.5 ? p.word : undefined);
  },
  repetition: (p, r) => {
    const line = topicLine(p.topic, r, p.word);
    return `${line} ${line}`;
  },
  commentary: (p, r) => `${topicLine(p.topic, r, p.word)} ${pick(META, r)}`,
  // a scene cut short with a detail tacked on ("A bench waits in the near a compass."): what a
  // policy wrote to carry the word past a judge that weighed the word over grammar
  fragment: (p, r) =>
    sentence(`${cutShort(pick(TOPICS[p.topic], r))} near a ${r() < 0.7 ? p.word : otherWord(p.word, r)}`),
  overLong: (p, r) =>
    [...TOPICS[p.topic]]
      .sort(() => r() - 0.5)
      .slice(0, 3)
      .map((l, i) => sentence(i === 0 ? `${l} near a ${p.word}` : l))
      .join(" "),
};

export const RESPONSE_KINDS = Object.keys(MAKERS);

/**
 * A minimal pair: a sentence that meets the request and its twin with exactly one fact changed
 * (another bank word, another topic's sentence with the same word, or no word), in random order.
 * Uniformly drawn kinds rarely put a wrong word beside the right one, so a small judge can learn
 * "a near-word means the word" and "this topic goes with these words" instead of comparing the
 * response with the request; minimal pairs make the comparison the only thing that separates them.
 */
function minimalPair(p: ReturnType<typeof makePrompt>, r: () => number): [string, string] {
  const base = pick(TOPICS[p.topic], r);
  const good = sentence(`${base} near a ${p.word}`);
  const twist = pick(["wrongWord", "offTopic", "noWord"] as const, r);
  const twin =
    twist === "wrongWord"
      ? sentence(`${base} near a ${otherWord(p.word, r)}`)
      : twist === "offTopic"
        ? topicLine(otherTopic(p.topic, r), r, p.word)
        : sentence(base);
  return r() < 0.5 ? [good, twin] : [twin, good];
}

/**
 * A taste pair: the requested word beside a scene of the requested topic in its own mood, against
 * the same word beside a scene of the other mood, in random order. Both meet every constraint the
 * request states; only taste tells them apart (a rule judge ties them).
 */
function tastePair(p: ReturnType<typeof makePrompt>, r: () => number): [string, string] {
  const scenes = TOPICS[p.topic];
  const inMood = scenes.filter((s) => SCENE_MOODS[s] === DETAIL_MOODS[p.word]);
  const outOfMood = scenes.filter((s) => SCENE_MOODS[s] !== DETAIL_MOODS[p.word]);
  const good = sentence(`${pick(inMood, r)} near a ${p.word}`);
  const poor = sentence(`${pick(outOfMood, r)} near a ${p.word}`);
  return r() < 0.5 ? [good, poor] : [poor, good];
}

/** The word limits a composed pair's request may state (the policy's prompts say 10 or 14). */
const COMPOSED_LIMITS = [6, 8, 10, 12, 14, 16, 18, 20, 24];

/**
 * A composed response: one to three sentences of the topic (now and then of another topic, or a
 * scene said twice, now and then word for word), the word (now and then another bank word) beside
 * any one of them or none (now and then on a scene cut short), and now and then a line about
 * itself. Where the other makers each draw one kind of response, these cover the world's responses
 * broadly, so that a judge meets every fact in every place and must read the request and the
 * response rather than recognise a maker.
 */
function composedResponse(p: ReturnType<typeof makePrompt>, r: () => number): string {
  const n = 1 + Math.floor(r() * 3);
  const topic = r() < 0.2 ? otherTopic(p.topic, r) : p.topic;
  const scenes = shuffled(TOPICS[topic], r).slice(0, n);
  const repeats = n > 1 && r() < 0.2;
  if (repeats) scenes[n - 1] = scenes[0];
  const at = r() < 0.8 ? Math.floor(r() * n) : -1;
  const word = r() < 0.8 ? p.word : otherWord(p.word, r);
  // now and then the scene that carries the detail is cut short ("A bench waits in the near a
  // compass."): the fragment a policy wrote to carry the word, met in every place
  const broken = at >= 0 && r() < 0.15;
  const lines = scenes.map((s, i) => sentence(i === at ? `${broken ? cutShort(s) : s} near a ${word}` : s));
  // a repeated scene is half the time the first sentence said again word for word, its detail too
  if (repeats && r() < 0.5) lines[n - 1] = lines[0];
  if (r() < 0.15) lines.push(pick(META, r));
  return lines.join(" ");
}

/** A composed pair: two composed responses to one request whose word limit is drawn anew. */
function composedPair(p: ReturnType<typeof makePrompt>, r: () => number): [string, string, string] {
  const prompt = p.prompt.replace(/at most \d+ words/, `at most ${pick(COMPOSED_LIMITS, r)} words`);
  return [prompt, composedResponse(p, r), composedResponse(p, r)];
}

/**
 * n labelled pairs on prompts of one split. Pairs the gold scores equal are skipped unless
 * keepTies (the labelling model rates those too); a kept tie is labelled "a" here.
 */
export function makeJudgePairs(
  n: number,
  seed: number,
  split: Split | readonly Split[],
  options: { keepTies?: boolean; minimalShare?: number; tasteShare?: number; composedShare?: number } = {},
): LabelledPair[] {
  const minimalShare = options.minimalShare ?? 0;
  const composedShare = options.composedShare ?? 0;
  const tasteShare = options.tasteShare ?? 0;
  const splitName = typeof split === "string" ? split : split.join("+");
  const r = mulberry32(seed * 7919 + splitName.length);
  const pairs: LabelledPair[] = [];
  for (let i = 0; pairs.length < n && i < n * 20; i++) {
    const p = makePrompt(i, seed, split);
    let prompt = p.prompt;
    let a: string;
    let b: string;
    let kind: string | [string, string];
    // (no draw when a share is 0, so the default pairs are the ones they always were)
    if (composedShare > 0 && r() < composedShare) {
      [prompt, a, b] = composedPair(p, r);
      kind = "composed";
    } else if (tasteShare > 0 && r() < tasteShare) {
      [a, b] = tastePair(p, r);
      kind = "taste";
    } else if (minimalShare > 0 && r() < minimalShare) {
      [a, b] = minimalPair(p, r);
      kind = "minimal";
    } else {
      const kindA = pick(RESPONSE_KINDS, r);
      let kindB = pick(RESPONSE_KINDS, r);
      if (kindB === kindA) kindB = "base";
      a = MAKERS[kindA](p, r);
      b = MAKERS[kindB](p, r);
      kind = [kindA, kindB];
    }
    const req = parseGoldRequest(prompt)!;
    const sa = goldScore(goldChecks(req, a));
    const sb = goldScore(goldChecks(req, b));
    // Two copies of one text are no pair to rate; other ties are kept only when asked.
    if (a === b || (Math.abs(sa - sb) < 0.1 && !options.keepTies)) continue;
    pairs.push({
      id: `${splitName}-${seed}-${i}`,
      prompt,
      response_a: a,
      response_b: b,
      label: sa >= sb ? "a" : "b",
      kind: typeof kind === "string" ? kind : sa >= sb ? kind[1] : kind[0],
    });
  }
  return pairs;
}
