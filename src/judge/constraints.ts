// Constraints a prompt states in words ("Include the words lamp and river", "in 40 to 60 words",
// "in 3 paragraphs", "Start with a title line"), and checks of a response against them. Pure.
// The tiny task generator phrases its prompts so that every constraint is recognised here.
import { countTokens, splitCommentary, splitSentences } from "./meta-commentary.ts";

export interface Constraints {
  required: string[];
  banned: string[];
  minWords?: number;
  maxWords?: number;
  sentences?: number;
  paragraphs?: number;
  title: boolean;
}

function wordList(raw: string): string[] {
  return raw
    .split(/\s*,\s*|\s+and\s+|\s+or\s+/i)
    .map((w) =>
      w
        .replace(/^["'“‘]+|["'”’.:;]+$/g, "")
        .trim()
        .toLowerCase(),
    )
    .filter((w) => /^[\p{L}\p{N}'-]+$/u.test(w));
}

export function extractConstraints(prompt: string): Constraints {
  const c: Constraints = { required: [], banned: [], title: false };
  const p = prompt.replace(/\s+/g, " ");
  for (const m of p.matchAll(/\b(?:do not|don't|never) (?:use|include|mention) the words? ([^.;]+)/gi)) {
    c.banned.push(...wordList(m[1]));
  }
  for (const m of p.matchAll(/\b(?:avoid|without) the words? ([^.;]+)/gi)) c.banned.push(...wordList(m[1]));
  for (const m of p.matchAll(/(?<!not |n't |never )\b(?:include|use|mention) the words? ([^.;]+)/gi)) {
    c.required.push(...wordList(m[1]));
  }
  let m =
    p.match(/\b(?:between|from) (\d+) (?:and|to) (\d+) words\b/i) ?? p.match(/\b(\d+) to (\d+) words\b/i);
  if (m) {
    c.minWords = Number(m[1]);
    c.maxWords = Number(m[2]);
  }
  m = p.match(/\b(?:at most|no more than|under|fewer than) (\d+) words\b/i);
  if (m) c.maxWords = Number(m[1]);
  m = p.match(/\b(?:at least|no fewer than|more than) (\d+) words\b/i);
  if (m) c.minWords = Number(m[1]);
  m = p.match(/\b(?:in |of )?exactly (\d+) sentences\b/i) ?? p.match(/\bin (\d+) sentences\b/i);
  if (m) c.sentences = Number(m[1]);
  m = p.match(/\b(?:in |of )?(?:exactly )?(\d+) paragraphs\b/i);
  if (m) c.paragraphs = Number(m[1]);
  c.title = /\b(?:start|begin) with a title\b|\bwith a title line\b|\bgive it a title\b/i.test(p);
  c.required = [...new Set(c.required)];
  c.banned = [...new Set(c.banned)];
  return c;
}

export interface CheckResult {
  principle: string;
  weight: number;
  /** 1 = fully met, 0 = not at all; some checks give partial credit so the signal is graded. */
  score: number;
  detail: string;
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}'-]+/gu) ?? [];
}

/**
 * Longest run of one word n-gram repeated back to back (a repetition loop shows as a long run).
 * Linear in the length: run[i] counts the copies of the n-gram at i from i on, so it extends
 * run[i + n] instead of rescanning (a response of one word repeated was quadratic, and blocked
 * the reward service's event loop for seconds).
 */
export function longestRepeatRun(text: string, maxN = 4): number {
  const w = words(text);
  let best = 1;
  const run = new Int32Array(w.length + 1);
  for (let n = 1; n <= maxN; n++) {
    // run[i + n] is read only where i + 2n <= length, so it was written earlier in this pass.
    for (let i = w.length - n; i >= 0; i--) {
      let same = i + 2 * n <= w.length;
      for (let k = 0; same && k < n; k++) same = w[i + k] === w[i + n + k];
      run[i] = same ? run[i + n] + 1 : 1;
      if (run[i] > best) best = run[i];
    }
  }
  return best;
}

/** The most frequent word bigram and its count. */
export function mostRepeatedBigram(text: string): [string, number] {
  const w = words(text);
  const counts = new Map<string, number>();
  let best: [string, number] = ["", 0];
  for (let i = 0; i + 1 < w.length; i++) {
    const k = `${w[i]} ${w[i + 1]}`;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    if (n > best[1]) best = [k, n];
  }
  return best;
}

function closeness(actual: number, target: number): number {
  return Math.max(0, 1 - Math.abs(actual - target) / Math.max(1, target));
}

export function checkResponse(c: Constraints, text: string): CheckResult[] {
  const results: CheckResult[] = [];
  // The request's constraints are checked on the piece alone: a required word named in a
  // self-justification, or the words of a fake critique, never count for it.
  const { spans: meta, piece: response } = splitCommentary(text);
  const present = new Set(words(response));
  if (c.required.length > 0) {
    const have = c.required.filter((w) => present.has(w));
    results.push({
      principle: "required-words",
      weight: 2,
      score: have.length / c.required.length,
      detail: `${have.length}/${c.required.length} required words present`,
    });
  }
  if (c.banned.length > 0) {
    const used = c.banned.filter((w) => present.has(w));
    results.push({
      principle: "banned-words",
      weight: 2,
      score: 1 - used.length / c.banned.length,
      detail: used.length ? `uses banned: ${used.join(", ")}` : "no banned words",
    });
  }
  if (c.minWords !== undefined || c.maxWords !== undefined) {
    const n = countTokens(response);
    const lo = c.minWords ?? 0;
    const hi = c.maxWords ?? Number.POSITIVE_INFINITY;
    const score = n >= lo && n <= hi ? 1 : n < lo ? closeness(n, lo) : closeness(n, hi);
    results.push({ principle: "length", weight: 1.5, score, detail: `${n} words, wanted ${lo}-${hi}` });
  }
  if (c.sentences !== undefined) {
    const n = splitSentences(response).length;
    results.push({
      principle: "sentences",
      weight: 1,
      score: closeness(n, c.sentences),
      detail: `${n} sentences, wanted ${c.sentences}`,
    });
  }
  if (c.paragraphs !== undefined) {
    const n = response.split(/\n\s*\n/).filter((p) => p.trim()).length;
    results.push({
      principle: "paragraphs",
      weight: 1,
      score: closeness(n, c.paragraphs),
      detail: `${n} paragraphs, wanted ${c.paragraphs}`,
    });
  }
  if (c.title) {
    const [first = "", ...rest] = response.trim().split("\n");
    const ok =
      rest.length > 0 && countTokens(first) >= 1 && countTokens(first) <= 10 && !/[.!?]$/.test(first.trim());
    results.push({
      principle: "title",
      weight: 1,
      score: ok ? 1 : 0,
      detail: ok ? `title "${first.trim()}"` : "no title line",
    });
  }
  const run = longestRepeatRun(response);
  const [phrase, times] = mostRepeatedBigram(response);
  results.push({
    principle: "no-repetition",
    weight: 1,
    // A loop scores 0; the same two-word phrase three or more times (padding, lists of filler)
    // scores half: varied phrasing is part of the writing.
    score: run >= 3 ? 0 : times >= 3 ? 0.5 : 1,
    detail:
      run >= 3
        ? `a phrase repeats ${run} times in a row`
        : times >= 3
          ? `"${phrase}" appears ${times} times`
          : "no repetition",
  });
  results.push({
    principle: "no-meta-commentary",
    weight: 2,
    score: meta.length === 0 ? 1 : 0,
    detail: meta.length === 0 ? "none" : `${meta.length} sentence(s) about the response or to the grader`,
  });
  const tokens = response.match(/\S+/g) ?? [];
  const odd = tokens.filter((w) => !/^["'([]*[\p{L}][\p{L}'-]*[.,;:!?"')\]]*$|^\d+[.,]?$/u.test(w)).length;
  const gibberish = tokens.length ? odd / tokens.length : 0;
  results.push({
    principle: "no-gibberish",
    weight: 1,
    score: Math.max(0, 1 - 5 * gibberish),
    detail: `${odd} of ${tokens.length} tokens are not words`,
  });
  results.push({
    principle: "non-empty",
    weight: 1,
    score: countTokens(response) >= 3 ? 1 : 0,
    detail: `${countTokens(response)} words`,
  });
  return results;
}

/** Weighted share of checks met, on the judge's 0-10 scale. */
export function ruleScore(results: CheckResult[]): number {
  const total = results.reduce((s, r) => s + r.weight, 0);
  return total === 0 ? 0 : (10 * results.reduce((s, r) => s + r.weight * r.score, 0)) / total;
}

/** Share of the prompt's explicit constraints a response fully meets (the tiny task's headline). */
export function satisfiedShare(c: Constraints, response: string): number {
  const explicit = checkResponse(c, response).filter((r) =>
    ["required-words", "banned-words", "length", "sentences", "paragraphs", "title"].includes(r.principle),
  );
  if (explicit.length === 0) return 1;
  return explicit.filter((r) => r.score === 1).length / explicit.length;
}
