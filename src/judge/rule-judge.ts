// The rule-based pairwise judge: the checkable end of the same RLVR frame. It scores both
// responses by the constraints the prompt states plus general checks (no repetition loop, no
// meta-commentary), and returns a Verdict shaped exactly like the GenRM's, both orders included,
// so BRPO cannot tell them apart. Deterministic, so it is always position-consistent.
import { checkResponse, extractConstraints, ruleScore } from "./constraints.ts";
import { makePrincipleSet } from "./principles.ts";
import {
  type Condition,
  decideOutcome,
  meanScores,
  type PairwiseJudge,
  type Verdict,
  winnerOf,
} from "./types.ts";

export const RULE_JUDGE_VERSION = "wz-rules-v1";

const RULE_PRINCIPLES = makePrincipleSet(
  [
    "required-words",
    "banned-words",
    "length",
    "sentences",
    "paragraphs",
    "title",
    "no-repetition",
    "no-meta-commentary",
    "non-empty",
  ].map((id) => ({ id, text: id, weight: 1 })),
);

export class RuleJudge implements PairwiseJudge {
  readonly name = `rules:${RULE_JUDGE_VERSION}`;

  async compare(prompt: string, responseA: string, responseB: string): Promise<Verdict> {
    return this.compareSync(prompt, responseA, responseB);
  }

  compareSync(prompt: string, responseA: string, responseB: string): Verdict {
    const constraints = extractConstraints(prompt);
    const checksA = checkResponse(constraints, responseA);
    const checksB = checkResponse(constraints, responseB);
    const scoreA = ruleScore(checksA);
    const scoreB = ruleScore(checksB);
    const conditions: Condition[] = (["ab", "ba"] as const).map((order) => ({
      order,
      vote: 0,
      scoreA,
      scoreB,
      winner: winnerOf(scoreA, scoreB),
      raw: null,
      error: null,
      latencyMs: 0,
      usage: null,
      attempts: 0,
      cached: false,
      critique: { a: checksA, b: checksB },
    }));
    return {
      outcome: decideOutcome(conditions),
      ...meanScores(conditions),
      conditions,
      templateVersion: RULE_JUDGE_VERSION,
      principlesHash: RULE_PRINCIPLES.hash,
      model: "rules",
      sampling: null,
      lengthA: responseA.length,
      lengthB: responseB.length,
    };
  }

  /** The scalar score of one response (for GRPO-style baselines). */
  score(prompt: string, response: string): number {
    return ruleScore(checkResponse(extractConstraints(prompt), response));
  }
}
