// The GenRM recipe's labelled pairs: a file (ours, LitBench, RewardBench; errors name the line) or
// the tiny world's generated rows, and the JSONL row a pair is written back as.
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../../data/config-file.ts";
import { type Pair, parsePairLine } from "../../data/pairs.ts";

export function readPairs(path: string): Pair[] {
  if (!existsSync(path)) throw new ConfigError(`pairs file ${path} does not exist`);
  const pairs: Pair[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      const r = parsePairLine(line, i + 1);
      if (!r.ok) throw new ConfigError(`${path}: ${r.error}`);
      pairs.push(r.pair);
    });
  if (pairs.length === 0) throw new ConfigError(`${path}: no pairs`);
  return pairs;
}

export function readPairsFromRows(
  rows: {
    id: string;
    prompt: string;
    response_a: string;
    response_b: string;
    label: "a" | "b";
    kind?: string;
  }[],
): Pair[] {
  return rows.map((r) => ({
    id: r.id,
    prompt: r.prompt,
    responseA: r.response_a,
    responseB: r.response_b,
    label: r.label,
    ...(r.kind ? { kind: r.kind } : {}),
  }));
}

export function pairRow(p: Pair) {
  return {
    id: p.id,
    prompt: p.prompt,
    response_a: p.responseA,
    response_b: p.responseB,
    label: p.label,
    ...(p.kind ? { kind: p.kind } : {}),
  };
}
