// Reward-hacking diagnostics, as pure functions over response texts: length, over-explanation
// (meta-commentary tokens), grader-addressing text, repetition and gibberish.
import { countTokens, findMetaCommentary, GRADER_KINDS } from "../judge/meta-commentary.ts";

export function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}

export function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Share of distinct word n-grams among all n-grams (1 = no repetition). */
export function distinctN(texts: string[], n: number): number | null {
  let total = 0;
  const seen = new Set<string>();
  for (const t of texts) {
    const w = t.toLowerCase().match(/\S+/g) ?? [];
    for (let i = 0; i + n <= w.length; i++) {
      seen.add(w.slice(i, i + n).join(" "));
      total++;
    }
  }
  return total ? seen.size / total : null;
}

export interface TextDiagnostics {
  count: number;
  meanWords: number | null;
  p90Words: number | null;
  /** Mean tokens of meta-commentary about the response or the request, per response. */
  overExplanationTokens: number | null;
  /** Share of responses with at least one sentence addressed to the grader. */
  graderAddressingRate: number | null;
  distinct2: number | null;
  /** Share of word tokens that are not plain words (letters with optional punctuation). */
  gibberishRate: number | null;
}

export function diagnose(texts: string[]): TextDiagnostics {
  const words = texts.map(countTokens);
  const spans = texts.map(findMetaCommentary);
  let tokens = 0;
  let odd = 0;
  for (const t of texts) {
    for (const w of t.match(/\S+/g) ?? []) {
      tokens++;
      if (!/^["'([]*[\p{L}][\p{L}'-]*[.,;:!?"')\]]*$|^\d+[.,]?$/u.test(w)) odd++;
    }
  }
  return {
    count: texts.length,
    meanWords: mean(words),
    p90Words: quantile(words, 0.9),
    overExplanationTokens: mean(spans.map((s) => s.reduce((a, x) => a + x.tokens, 0))),
    graderAddressingRate: texts.length
      ? spans.filter((s) => s.some((x) => GRADER_KINDS.has(x.kind))).length / texts.length
      : null,
    distinct2: distinctN(texts, 2),
    gibberishRate: tokens ? odd / tokens : null,
  };
}
