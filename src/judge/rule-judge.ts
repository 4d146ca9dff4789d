// The rule-based pairwise judge: the checkable end of the same RLVR frame. It scores both
// responses by the constraints the prompt states plus general checks (no repetition loop, no
// meta-commentary), and returns a Verdict shaped exactly like the GenRM's, both orders included,
// so BRPO cannot tell them apart. Deterministic, so it is always position-consistent.
// Extra checks can be handed in (for example the plausibility of the text under a frozen language
// model): they are principles like the others, computed elsewhere, so this file stays pure.
import { type CheckResult, checkResponse, extractConstraints, ruleScore } from "./constraints.ts";
import { makePrincipleSet } from "./principles.ts";
import { type PairwiseJudge, scoredVerdict, type Verdict } from "./types.ts";

export const RULE_JUDGE_VERSION = "wz-rules-v2";

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

/** A principle checked outside the pure judge (it may run a model); same 0-1 scale as the rules. */
export interface ExtraCheck {
  principle: string;
  weight: number;
  check(prompt: string, response: string): Promise<{ score: number; detail: string }>;
}

export class RuleJudge implements PairwiseJudge {
  readonly name: string;
  readonly cpuBound = true;

  constructor(private readonly extra: ExtraCheck[] = []) {
    this.name = `rules:${RULE_JUDGE_VERSION}${extra.map((e) => `+${e.principle}`).join("")}`;
  }

  async compare(prompt: string, responseA: string, responseB: string): Promise<Verdict> {
    const [extraA, extraB] = await Promise.all([
      this.extraChecks(prompt, responseA),
      this.extraChecks(prompt, responseB),
    ]);
    return this.compareSync(prompt, responseA, responseB, extraA, extraB);
  }

  private async extraChecks(prompt: string, response: string): Promise<CheckResult[]> {
    return Promise.all(
      this.extra.map(async (e) => ({
        principle: e.principle,
        weight: e.weight,
        ...(await e.check(prompt, response)),
      })),
    );
  }

  /** The verdict from the built-in rules (plus extra check results already computed). */
  compareSync(
    prompt: string,
    responseA: string,
    responseB: string,
    extraA: CheckResult[] = [],
    extraB: CheckResult[] = [],
  ): Verdict {
    if (this.extra.length > 0 && extraA.length !== this.extra.length)
      throw new Error("compareSync: this judge has extra checks; call compare()");
    const constraints = extractConstraints(prompt);
    const checksA = [...checkResponse(constraints, responseA), ...extraA];
    const checksB = [...checkResponse(constraints, responseB), ...extraB];
    return scoredVerdict({
      scoreA: ruleScore(checksA),
      scoreB: ruleScore(checksB),
      critique: { a: checksA, b: checksB },
      responseA,
      responseB,
      templateVersion: RULE_JUDGE_VERSION,
      principlesHash: RULE_PRINCIPLES.hash,
      model: "rules",
    });
  }

  /** The scalar score of one response from the built-in rules (for GRPO-style baselines). */
  score(prompt: string, response: string): number {
    if (this.extra.length > 0) throw new Error("score: this judge has extra checks; call scoreAsync()");
    return ruleScore(checkResponse(extractConstraints(prompt), response));
  }

  /** The scalar score of one response, extra checks included. */
  async scoreAsync(prompt: string, response: string): Promise<number> {
    const extra = await this.extraChecks(prompt, response);
    return ruleScore([...checkResponse(extractConstraints(prompt), response), ...extra]);
  }
}
