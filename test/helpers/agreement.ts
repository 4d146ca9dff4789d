// Agreement of our next-token distributions with llama.cpp's on the same quantised file, in terms
// that hold on every CPU. llama.cpp rounds activations (to 8 bits per block of 32 for the Q
// formats) with kernels that differ per CPU family (ggml ships one build per family: haswell,
// skylakex, icelake, zen4, sapphirerapids, ...), so a top token may flip where two tokens were
// near a tie. A flip therefore counts only where our top-two margin exceeds what the rounding does
// to a logit, measured on the same run; |dp| and total variation bound the rest.
import { softmaxRows } from "./models.ts";

export interface Agreement {
  positions: number;
  argmaxAgree: number;
  /** Disagreeing positions where our margin over llama.cpp's top token is beyond the rounding's reach. */
  realFlips: number;
  /** Every disagreement: our margin of a over b in log-probability, in units of the noise sigma. */
  flips: { position: number; margin: number }[];
  maxDiff: number;
  meanTv: number;
  /** Median over positions of the RMS change of a top-K token's log-probability (centred). */
  sigma: number;
}

/** The K tokens of highest probability in ours that measure the rounding's effect on a logit. */
const NOISE_TOKENS = 32;
/**
 * A flip of a over b needs (their log b - log a) - (our log b - log a) > our margin. If each
 * token's log-probability moves by independent noise of sigma, that difference has sigma x sqrt(2):
 * a margin over 4 x sqrt(2) x sigma is a 4-sigma event, not a rounding tie.
 */
const REAL_FLIP_SIGMAS = 4 * Math.SQRT2;

export function newAgreement(): Agreement {
  return { positions: 0, argmaxAgree: 0, realFlips: 0, flips: [], maxDiff: 0, meanTv: 0, sigma: 0 };
}

/**
 * Adds the positions of one sequence: `ours` are logits [T, V], `theirs` llama.cpp's probability
 * rows. Call `settle` once all sequences are in: the flips are judged against the noise of all.
 */
export function compareDistributions(
  ours: ArrayLike<number>,
  theirs: Float64Array[],
  V: number,
  into: Agreement & { noise?: number[]; pending?: { margin: number; position: number }[] },
): void {
  const rows = softmaxRows(ours, theirs.length, V);
  into.noise ??= [];
  into.pending ??= [];
  for (let t = 0; t < theirs.length; t++) {
    const p = rows[t];
    const q = theirs[t];
    let a = 0;
    let b = 0;
    let tv = 0;
    for (let j = 0; j < V; j++) {
      if (p[j] > p[a]) a = j;
      if (q[j] > q[b]) b = j;
      into.maxDiff = Math.max(into.maxDiff, Math.abs(p[j] - q[j]));
      tv += Math.abs(p[j] - q[j]) / 2;
    }
    const top = Array.from(p.keys())
      .sort((x, y) => p[y] - p[x])
      .slice(0, NOISE_TOKENS)
      .filter((j) => q[j] > 0 && p[j] > 0);
    const d = top.map((j) => Math.log(q[j]) - Math.log(p[j]));
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    into.noise.push(Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length));
    into.meanTv = (into.meanTv * into.positions + tv) / (into.positions + 1);
    if (a === b) into.argmaxAgree++;
    else into.pending.push({ position: into.positions, margin: Math.log(p[a]) - Math.log(p[b]) });
    into.positions++;
  }
}

/** Judges every disagreement against the median noise of all positions. */
export function settle(
  into: Agreement & { noise?: number[]; pending?: { margin: number; position: number }[] },
): Agreement {
  const noise = [...(into.noise ?? [])].sort((x, y) => x - y);
  into.sigma = noise.length ? noise[Math.floor(noise.length / 2)] : 0;
  into.flips = (into.pending ?? []).map((f) => ({ position: f.position, margin: f.margin / into.sigma }));
  into.realFlips = into.flips.filter((f) => f.margin > REAL_FLIP_SIGMAS).length;
  delete into.noise;
  delete into.pending;
  return into;
}

export function describeAgreement(a: Agreement): string {
  const flips = a.flips.map((f) => `${f.position}:${f.margin.toFixed(2)}σ`).join(" ");
  return `argmax ${a.argmaxAgree}/${a.positions}, max |dp| ${a.maxDiff.toExponential(2)}, mean TV ${a.meanTv.toExponential(2)}, σ ${a.sigma.toExponential(2)}, flips [${flips}], real ${a.realFlips}`;
}
