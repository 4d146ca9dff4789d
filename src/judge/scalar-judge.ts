// A scalar reward model as a pairwise judge: each response scored alone, the higher reward wins.
// How GRPO's reward model is compared with the pairwise GenRM on the same labelled pairs
// (wz genrm-eval), and how BRPO could run on it. A failed score fails the verdict: never a 0.
import { type PairwiseJudge, scoredVerdict, type Verdict } from "./types.ts";

export type RewardScorer = (prompt: string, response: string) => Promise<number | null>;

export class ScalarRewardJudge implements PairwiseJudge {
  constructor(
    readonly name: string,
    private readonly score: RewardScorer,
  ) {}

  async compare(prompt: string, responseA: string, responseB: string): Promise<Verdict> {
    const [a, b] = await Promise.all([this.score(prompt, responseA), this.score(prompt, responseB)]);
    if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) {
      return failedVerdict(this.name, responseA, responseB, a === null || !Number.isFinite(a) ? "a" : "b");
    }
    return scoredVerdict({
      scoreA: a,
      scoreB: b,
      critique: { rewardA: a, rewardB: b },
      responseA,
      responseB,
      templateVersion: "scalar-reward",
      principlesHash: "none",
      model: this.name,
    });
  }
}

function failedVerdict(model: string, responseA: string, responseB: string, which: "a" | "b"): Verdict {
  const v = scoredVerdict({
    scoreA: 0,
    scoreB: 0,
    critique: null,
    responseA,
    responseB,
    templateVersion: "scalar-reward",
    principlesHash: "none",
    model,
  });
  const conditions = v.conditions.map((c) => ({
    ...c,
    scoreA: null,
    scoreB: null,
    winner: null,
    error: "no_score",
    errorDetail: `the reward model gave no score for response ${which}`,
  }));
  return { ...v, outcome: "failed", scoreA: null, scoreB: null, conditions };
}
