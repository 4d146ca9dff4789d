// The tiny task: constrained writing prompts ("Write a note about the harbour. Include the word
// lantern. Use at most 12 words.") and responses that meet the constraints about as often as they
// ignore them. A model pretrained on this corpus can write the form but was never taught to follow
// the constraints: that is what BRPO with the rule-based judge has to teach. All text is generated
// here from small word banks written for this project.
import { mulberry32, pick } from "../model/random.ts";
import { FORMS, META, sentence, TOPICS, WORDS } from "./tiny-world.ts";

export interface TaskPrompt {
  id: string;
  prompt: string;
  topic: string;
  word: string;
  maxWords: number;
}

export interface TaskExample extends TaskPrompt {
  response: string;
  /** Which constraints this response meets (for corpus statistics). */
  meets: { word: boolean; length: boolean; noMeta: boolean };
}

/**
 * Which (topic, word) combinations each split may use, so that RL prompts and evaluation prompts
 * are held apart from pretraining (and from each other): a model cannot have memorised them.
 */
export type Split = "pretrain" | "train" | "eval";
function splitOf(topicIndex: number, wordIndex: number): Split {
  const k = (topicIndex + wordIndex) % 4;
  return k === 0 ? "train" : k === 1 ? "eval" : "pretrain";
}

export function makePrompt(
  index: number,
  seed: number,
  split: Split | readonly Split[] = "pretrain",
): TaskPrompt {
  const splits: readonly Split[] = typeof split === "string" ? [split] : split;
  const r = mulberry32(seed * 100_003 + index);
  const topics = Object.keys(TOPICS);
  let ti: number;
  let wi: number;
  do {
    ti = Math.floor(r() * topics.length);
    wi = Math.floor(r() * WORDS.length);
  } while (!splits.includes(splitOf(ti, wi)));
  const topic = topics[ti];
  const word = WORDS[wi];
  const maxWords = pick([10, 14], r);
  const form = pick(FORMS, r);
  return {
    id: `${splits.join("+")}-${seed}-${index}`,
    topic,
    word,
    maxWords,
    prompt: `Write a ${form} about the ${topic}. Include the word ${word}. Use at most ${maxWords} words.`,
  };
}

/** One response: each constraint is met or ignored independently, so the base model sees both. */
export function makeResponse(p: TaskPrompt, r: () => number): TaskExample {
  const lines = [...TOPICS[p.topic]].sort(() => r() - 0.5);
  const includeWord = r() < 0.5;
  const short = r() < 0.5;
  const meta = r() < 0.35;
  const parts: string[] = [];
  const count = short ? 1 : 3;
  for (let i = 0; i < count; i++) parts.push(lines[i]);
  if (includeWord) {
    const k = Math.floor(r() * parts.length);
    parts[k] = `${parts[k]} near a ${p.word}`;
  } else if (r() < 0.5) {
    // Mention some other bank word, so that "a word appears" is not the same as "the word appears".
    const other = pick(
      WORDS.filter((w) => w !== p.word),
      r,
    );
    parts[0] = `${parts[0]} near a ${other}`;
  }
  let response = parts.map(sentence).join(" ");
  if (meta) response += ` ${pick(META, r)}`;
  const words = response.split(/\s+/).length;
  return {
    ...p,
    response,
    meets: { word: includeWord, length: words <= p.maxWords, noMeta: !meta },
  };
}

export function makeCorpus(n: number, seed: number): TaskExample[] {
  const r = mulberry32(seed ^ 0x5eed);
  return Array.from({ length: n }, (_, i) => makeResponse(makePrompt(i, seed, "pretrain"), r));
}

/** Prompts for RL ("train") or evaluation ("eval"), from combinations pretraining never saw. */
export function makePrompts(n: number, seed: number, split: "train" | "eval"): TaskPrompt[] {
  return Array.from({ length: n }, (_, i) => makePrompt(i, seed, split));
}
