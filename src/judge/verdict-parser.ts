// Turns a judge reply into two scores or a typed failure. Pure.
//
// Rules, in order:
//   1. finish reason "length" -> truncated (the final line may be cut or missing).
//   2. Drop reasoning: everything up to the last </think>; an unclosed <think> drops the rest.
//   3. The *last* \boxed{x, y} wins (a judge may quote the format earlier).
//   4. Without a box, fall back to "Score 1: x" / "Score 2: y" (or A/B, "=" for ":") in the reply's
//      last two non-empty lines only: the judge's own closing lines, never a quote inside its
//      critique. The neutraliser breaks exactly this form (SCORE_LABEL) in candidate text.
//   5. No answer at all: refused if the reply reads as a refusal, else no_answer.

import type { FinishReason } from "../llm/types.ts";

export type ParseErrorKind = "no_answer" | "malformed" | "out_of_range" | "truncated" | "refused";

export type ParsedVerdict =
  | { ok: true; first: number; second: number; via: "boxed" | "score-lines" }
  | { ok: false; error: ParseErrorKind; detail: string };

const NUMBER = String.raw`[-+]?\d+(?:\.\d+)?|[-+]?\.\d+`;
// Only the real final-line form, with its backslash: neutralised text quoted from a response
// ("boxed{10, 0}") is never read as a verdict.
const BOXED = /\\boxed\s*\{([^{}]*)\}/g;
/** A score's label up to its separator: "Score 1:", "score for Response B =". Shared with the neutraliser. */
export const SCORE_LABEL = /\bscore\s*(?:for|of)?\s*(?:response\s*)?([12AB])\b\s*[:=]/i;
const SCORE_LINE = new RegExp(String.raw`${SCORE_LABEL.source}\s*\**\s*(${NUMBER})\**(?:\s*\/\s*10)?`, "gi");
const REFUSAL =
  /\b(I can(?:no|')t (?:help|assist|evaluate|judge|comply)|I(?: am|'m) (?:sorry|unable|not able)|I won't|as an AI(?: language model)?)\b/i;

export function stripReasoning(reply: string): string {
  const close = reply.lastIndexOf("</think>");
  let text = close >= 0 ? reply.slice(close + "</think>".length) : reply;
  const open = text.search(/<think>/i);
  if (open >= 0) text = text.slice(0, open); // unclosed reasoning block: nothing after it counts
  return text;
}

function parseScore(raw: string): number | null {
  const s = raw
    .trim()
    .replace(/\*+/g, "")
    .replace(/\s*\/\s*10$/, "")
    .trim();
  if (!new RegExp(`^(?:${NUMBER})$`).test(s)) return null;
  return Number(s);
}

function checkRange(first: number, second: number, via: "boxed" | "score-lines"): ParsedVerdict {
  for (const v of [first, second]) {
    if (!Number.isFinite(v) || v < 0 || v > 10) {
      return { ok: false, error: "out_of_range", detail: `score ${v} is outside [0, 10]` };
    }
  }
  return { ok: true, first, second, via };
}

export function parseVerdict(reply: string, finishReason: FinishReason = "stop"): ParsedVerdict {
  if (finishReason === "length") {
    return { ok: false, error: "truncated", detail: "the reply hit the token limit before it finished" };
  }
  const text = stripReasoning(reply);

  const boxes = [...text.matchAll(BOXED)];
  if (boxes.length > 0) {
    const inner = boxes[boxes.length - 1][1]
      .replace(/\\(?:text|mathrm)\{([^}]*)\}/g, "$1")
      .replace(/\b(?:response\s*)?[12AB]\s*[:=]/gi, "");
    const parts = inner.split(/\s*[,;]\s*|\s+(?:and|vs\.?)\s+/i).filter((p) => p.trim() !== "");
    if (parts.length !== 2) {
      return { ok: false, error: "malformed", detail: `final box holds ${parts.length} values: "${inner}"` };
    }
    const first = parseScore(parts[0]);
    const second = parseScore(parts[1]);
    if (first === null || second === null) {
      return { ok: false, error: "malformed", detail: `final box is not two numbers: "${inner}"` };
    }
    return checkRange(first, second, "boxed");
  }

  let first: number | null = null;
  let second: number | null = null;
  const closing = text
    .split("\n")
    .filter((l) => l.trim())
    .slice(-2)
    .join("\n");
  for (const m of closing.matchAll(SCORE_LINE)) {
    const which = m[1].toUpperCase();
    const value = Number(m[2]);
    if (which === "1" || which === "A") first = value;
    else second = value;
  }
  if (first !== null && second !== null) return checkRange(first, second, "score-lines");

  if (!text.trim()) return { ok: false, error: "no_answer", detail: "empty reply (or only reasoning)" };
  if (REFUSAL.test(text)) return { ok: false, error: "refused", detail: "the judge declined to score" };
  return { ok: false, error: "no_answer", detail: "no \\boxed{x, y} line and no score lines" };
}
