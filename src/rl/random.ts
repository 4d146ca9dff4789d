// Seeded randomness for RL decisions that must replay exactly on resume: the seed is derived from
// (run seed, step, group id), never from a running generator state.
import { createHash } from "node:crypto";
import { mulberry32 } from "../model/params.ts";

export function derivedSeed(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.join("\u0000")).digest().readUInt32LE(0);
}

export function seededRandom(...parts: (string | number)[]): () => number {
  return mulberry32(derivedSeed(...parts));
}

/** k distinct indices from 0..n-1, uniformly (partial Fisher-Yates). */
export function sampleWithoutReplacement(n: number, k: number, random: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k);
}
