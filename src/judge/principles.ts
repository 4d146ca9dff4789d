// Writing principles: the general rules the GenRM turns into prompt-specific criteria.
// Pure: parsing takes text, never a path.
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";

export interface Principle {
  /** Short stable identifier, e.g. "fulfils-request". */
  id: string;
  /** One or two sentences the judge reads. */
  text: string;
  /** Relative importance the judge may use when weighting criteria (default 1). */
  weight: number;
}

export interface PrincipleSet {
  principles: Principle[];
  /** sha256 (first 16 hex) of the canonical JSON of the principles; goes into every verdict. */
  hash: string;
}

export const DEFAULT_PRINCIPLES: Principle[] = [
  {
    id: "fulfils-request",
    text: "Does what the prompt asks, including every explicit constraint (topic, form, length, required or forbidden words, audience).",
    weight: 3,
  },
  {
    id: "substance",
    text: "Every sentence earns its place: concrete detail and real content rather than padding, filler or repetition.",
    weight: 2,
  },
  {
    id: "structure",
    text: "The piece is organised so a reader can follow it: a clear line of thought, sensible order, transitions that hold it together.",
    weight: 2,
  },
  {
    id: "style-fit",
    text: "Tone, register and form suit the genre and the intended reader.",
    weight: 1.5,
  },
  {
    id: "language",
    text: "Grammatical, precise and fluent language, with words chosen for meaning rather than effect.",
    weight: 1.5,
  },
  {
    id: "originality",
    text: "Fresh ideas and images over cliches and stock phrasing, where the task allows it.",
    weight: 1,
  },
  {
    id: "honesty",
    text: "No invented facts presented as true, no false claims about itself, no flattery of the reader or the grader.",
    weight: 1,
  },
  {
    id: "no-meta-commentary",
    text: "The piece stands on its own: no explanation of how it met the request, no checklist of constraints satisfied, no words addressed to whoever grades it.",
    weight: 2,
  },
];

export function principlesHash(principles: Principle[]): string {
  const canonical = JSON.stringify(principles.map((p) => [p.id, p.text, p.weight]));
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

export function makePrincipleSet(principles: Principle[]): PrincipleSet {
  return { principles, hash: principlesHash(principles) };
}

export const DEFAULT_PRINCIPLE_SET: PrincipleSet = makePrincipleSet(DEFAULT_PRINCIPLES);

/**
 * Parse a principles file (YAML or JSON; JSON is YAML). Accepted shapes:
 *   - a list of principles
 *   - {principles: [...], extend: true}  (extend: add to the defaults, replacing same ids)
 * A principle is {id, text, weight?} or a plain string (id derived from its position).
 * Errors name the entry at fault.
 */
export function parsePrinciples(source: string, origin = "principles"): PrincipleSet {
  let doc: unknown;
  try {
    doc = parseYaml(source);
  } catch (e) {
    throw new Error(`${origin}: not valid YAML or JSON: ${(e as Error).message}`);
  }
  let list: unknown;
  let extend = false;
  if (Array.isArray(doc)) list = doc;
  else if (doc && typeof doc === "object" && "principles" in doc) {
    list = (doc as { principles: unknown }).principles;
    extend = (doc as { extend?: unknown }).extend === true;
  } else throw new Error(`${origin}: expected a list of principles or {principles: [...]}`);
  if (!Array.isArray(list) || list.length === 0)
    throw new Error(`${origin}: principles must be a non-empty list`);

  const parsed = list.map((item, i): Principle => {
    const where = `${origin}: principles[${i}]`;
    if (typeof item === "string") {
      if (!item.trim()) throw new Error(`${where}: empty text`);
      return { id: `p${i + 1}`, text: item.trim(), weight: 1 };
    }
    if (!item || typeof item !== "object")
      throw new Error(`${where}: expected a string or {id, text, weight?}`);
    const { id, text, weight } = item as Record<string, unknown>;
    if (typeof id !== "string" || !id) throw new Error(`${where}.id: expected a non-empty string`);
    if (typeof text !== "string" || !text.trim())
      throw new Error(`${where}.text: expected a non-empty string`);
    if (weight !== undefined && (typeof weight !== "number" || !(weight > 0)))
      throw new Error(`${where}.weight: expected a positive number`);
    return { id, text: text.trim(), weight: (weight as number | undefined) ?? 1 };
  });
  const seen = new Set<string>();
  for (const p of parsed) {
    if (seen.has(p.id)) throw new Error(`${origin}: duplicate principle id "${p.id}"`);
    seen.add(p.id);
  }
  if (!extend) return makePrincipleSet(parsed);
  const merged = DEFAULT_PRINCIPLES.filter((d) => !seen.has(d.id)).concat(parsed);
  return makePrincipleSet(merged);
}
