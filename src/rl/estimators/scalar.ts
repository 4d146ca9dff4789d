// Scalar-reward estimators for the baselines the paper compares against. Rewards come from a
// scalar scorer (the rule-based judge's score, or a scalar reward model); a null reward (the
// scorer failed) masks that response and leaves it out of the group statistics.
import type { GroupAdvantages } from "./types.ts";

export type ScalarEstimator = "grpo" | "drgrpo" | "rloo";

export function scalarAdvantages(
  name: ScalarEstimator,
  rewards: (number | null)[],
  eps = 1e-6,
): GroupAdvantages {
  const G = rewards.length;
  const ok = rewards.map((r, i) => [r, i] as const).filter(([r]) => r !== null) as [number, number][];
  const n = ok.length;
  const advantages = new Array<number>(G).fill(0);
  const masked = rewards.map((r) => r === null);
  if (n >= 2) {
    const mean = ok.reduce((s, [r]) => s + r, 0) / n;
    if (name === "grpo") {
      // Sample standard deviation (Bessel), as TRL and verl compute it.
      const std = Math.sqrt(ok.reduce((s, [r]) => s + (r - mean) ** 2, 0) / (n - 1));
      for (const [r, i] of ok) advantages[i] = (r - mean) / (std + eps);
    } else if (name === "drgrpo") {
      for (const [r, i] of ok) advantages[i] = r - mean;
    } else {
      // Leave-one-out baseline: r_i - mean of the others = n/(n-1) (r_i - mean).
      for (const [r, i] of ok) advantages[i] = r - (mean * n - r) / (n - 1);
    }
  }
  return {
    estimator: name,
    advantages,
    masked,
    dropped: false,
    referenceIndices: [],
    comparisons: [],
    rewards,
    judgeCalls: G,
    stats: {
      size: G,
      skew: Math.abs(advantages.reduce((s, a) => s + a, 0)) / G,
      meanPreference: null,
      winRate: null,
      maskedCount: masked.filter(Boolean).length,
      consistency: null,
      failedComparisons: 0,
    },
  };
}
