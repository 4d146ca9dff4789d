// --input for the commands that judge a pairs file (wz judge, wz genrm-eval).
import { readFileSync } from "node:fs";
import { duplicateIds, type Pair, type PairFormat, parsePairLine } from "../data/pairs.ts";
import { UsageError } from "./errors.ts";

/** The pairs of a file; malformed lines are reported on stderr and skipped, never judged. */
export function readPairsSkipping(path: string, format: PairFormat): { pairs: Pair[]; badLines: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`--input: cannot read ${path}: ${(e as Error).message}`);
  }
  const pairs: Pair[] = [];
  const badLines: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const r = parsePairLine(line, i + 1, format);
    if (r.ok) pairs.push(r.pair);
    else badLines.push(r.error);
  });
  for (const msg of badLines) process.stderr.write(`skipped ${msg}\n`);
  if (pairs.length === 0)
    throw new UsageError(
      `${path}: no pairs to judge${badLines.length ? ` (${badLines.length} malformed lines skipped)` : " (the file is empty)"}`,
    );
  const dups = duplicateIds(pairs);
  if (dups.length)
    process.stderr.write(
      `wz: warning: ${dups.length} id(s) occur more than once (${dups.slice(0, 5).join(", ")}${dups.length > 5 ? ", ..." : ""}); output lines follow input order\n`,
    );
  return { pairs, badLines };
}
