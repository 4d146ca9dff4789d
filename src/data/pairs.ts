// Preference-pair input: one JSON object a line. Our shape is {id, prompt, response_a, response_b,
// label?, kind?}; LitBench-style (chosen_story/rejected_story) and RewardBench-style (chosen/rejected)
// rows are adapted so that the chosen response is a and the label is "a". Pure.

export interface Pair {
  id: string;
  prompt: string;
  responseA: string;
  responseB: string;
  label?: "a" | "b";
  /** What kind of pair it is (e.g. "taste", "offTopic/base"), when the file says: accuracy is reported by kind. */
  kind?: string;
}

export type PairFormat = "pairs" | "litbench" | "rewardbench" | "auto";

export type LineResult = { ok: true; pair: Pair } | { ok: false; line: number; error: string };

function str(row: Record<string, unknown>, key: string, line: number): string {
  const v = row[key];
  if (typeof v !== "string") {
    throw new Error(`line ${line}: field "${key}" ${v === undefined ? "is missing" : "must be a string"}`);
  }
  return v;
}

export function detectFormat(row: Record<string, unknown>): Exclude<PairFormat, "auto"> {
  if ("chosen_story" in row) return "litbench";
  if ("chosen" in row && "rejected" in row) return "rewardbench";
  return "pairs";
}

/** Parse one line (1-based `line` for messages). Blank lines are the caller's to skip. */
export function parsePairLine(text: string, line: number, format: PairFormat = "auto"): LineResult {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (e) {
    return { ok: false, line, error: `line ${line}: not valid JSON (${(e as Error).message})` };
  }
  if (!row || typeof row !== "object" || Array.isArray(row)) {
    return { ok: false, line, error: `line ${line}: expected a JSON object` };
  }
  const r = row as Record<string, unknown>;
  try {
    const fmt = format === "auto" ? detectFormat(r) : format;
    const id = r.id === undefined ? `line-${line}` : String(r.id);
    if (fmt === "litbench") {
      return {
        ok: true,
        pair: {
          id,
          prompt: str(r, "prompt", line),
          responseA: str(r, "chosen_story", line),
          responseB: str(r, "rejected_story", line),
          label: "a",
        },
      };
    }
    if (fmt === "rewardbench") {
      return {
        ok: true,
        pair: {
          id,
          prompt: str(r, "prompt", line),
          responseA: str(r, "chosen", line),
          responseB: str(r, "rejected", line),
          label: "a",
        },
      };
    }
    const label = r.label;
    if (label !== undefined && label !== null && label !== "a" && label !== "b") {
      return { ok: false, line, error: `line ${line}: field "label" must be "a" or "b"` };
    }
    return {
      ok: true,
      pair: {
        id,
        prompt: str(r, "prompt", line),
        responseA: str(r, "response_a", line),
        responseB: str(r, "response_b", line),
        ...(label ? { label: label as "a" | "b" } : {}),
        ...(typeof r.kind === "string" && r.kind ? { kind: r.kind } : {}),
      },
    };
  } catch (e) {
    return { ok: false, line, error: (e as Error).message };
  }
}

/** Ids that occur more than once (each listed once): verdicts keyed by id would collide. */
export function duplicateIds(items: { id: string }[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) dup.add(it.id);
    seen.add(it.id);
  }
  return [...dup];
}
