// Seeded randomness, in one place: the generator behind every seeded initialisation, and the
// decisions that must replay exactly on resume, whose seed is derived from (run seed, step, group
// id), never from a running generator state.
import { createHash } from "node:crypto";

/** Deterministic generator (mulberry32) so that seeded initialisation is reproducible everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

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

/** One element of xs, uniformly. */
export function pick<T>(xs: readonly T[], random: () => number): T {
  return xs[Math.floor(random() * xs.length)];
}

/** A shuffled copy of xs (Fisher-Yates from the end). */
export function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
