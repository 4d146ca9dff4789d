// Bradley-Terry ratings from pairwise results (minorisation-maximisation, Hunter 2004), with
// bootstrap intervals over comparisons, and a length-controlled win rate. Pure.

export interface PairResult {
  a: number;
  b: number;
  /** 1 if a won, 0 if b won, 0.5 for a tie or an order-inconsistent verdict. */
  scoreA: number;
  /** Length of a's response minus b's, in words. */
  lengthDiff?: number;
}

/** Strengths p_i (normalised to geometric mean 1); rating = 400 log10(p) on an Elo-like scale. */
export function bradleyTerry(n: number, results: PairResult[], iterations = 200): number[] {
  const wins = new Float64Array(n);
  const games = Array.from({ length: n }, () => new Float64Array(n));
  for (const r of results) {
    wins[r.a] += r.scoreA;
    wins[r.b] += 1 - r.scoreA;
    games[r.a][r.b]++;
    games[r.b][r.a]++;
  }
  let p = new Float64Array(n).fill(1);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let denom = 0;
      for (let j = 0; j < n; j++) if (i !== j && games[i][j] > 0) denom += games[i][j] / (p[i] + p[j]);
      // A small prior (half a win against an average opponent) keeps undefeated models finite.
      next[i] = (wins[i] + 0.5) / (denom + 1 / (p[i] + 1));
    }
    const g = Math.exp(next.reduce((s, x) => s + Math.log(x), 0) / n);
    p = next.map((x) => x / g);
  }
  return Array.from(p, (x) => 400 * Math.log10(x));
}

export function bootstrapRatings(
  n: number,
  results: PairResult[],
  rounds: number,
  random: () => number,
): { lo: number[]; hi: number[] } {
  const samples: number[][] = Array.from({ length: n }, () => []);
  for (let b = 0; b < rounds; b++) {
    const resampled = results.map(() => results[Math.floor(random() * results.length)]);
    for (const [i, r] of bradleyTerry(n, resampled, 100).entries()) samples[i].push(r);
  }
  const q = (xs: number[], f: number) =>
    [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(f * xs.length))];
  return { lo: samples.map((s) => q(s, 0.025)), hi: samples.map((s) => q(s, 0.975)) };
}

/**
 * Length-controlled win rate of a over b: logistic regression of the outcome on the length
 * difference (in units of its standard deviation), read at a difference of zero.
 */
export function lengthControlledWinRate(results: PairResult[]): number | null {
  const rows = results.filter((r) => r.lengthDiff !== undefined);
  if (rows.length < 2) return null;
  const sd = Math.sqrt(rows.reduce((s, r) => s + r.lengthDiff! ** 2, 0) / rows.length) || 1;
  let w0 = 0;
  let w1 = 0;
  for (let it = 0; it < 500; it++) {
    let g0 = 0;
    let g1 = 0;
    for (const r of rows) {
      const x = r.lengthDiff! / sd;
      const p = 1 / (1 + Math.exp(-(w0 + w1 * x)));
      g0 += r.scoreA - p;
      g1 += (r.scoreA - p) * x;
    }
    // Gradient ascent on the log-likelihood with a light L2 penalty for separable data.
    w0 += (0.5 * (g0 - 0.01 * w0)) / rows.length;
    w1 += (0.5 * (g1 - 0.01 * w1)) / rows.length;
  }
  return 1 / (1 + Math.exp(-w0));
}
