// The estimators are declared once (ESTIMATOR_SPECS): every list derived from it agrees with what
// each estimator does. The config takes every name, and the judge calls each declares for a group
// (what the service's caps count) are the calls it makes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import type { PairwiseJudge } from "../../src/judge/types.ts";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import {
  ESTIMATORS,
  estimateGroup,
  isScalarEstimator,
  judgeCallsFor,
} from "../../src/rl/estimators/index.ts";

test("every declared estimator is accepted by the config, and only those", () => {
  for (const name of ESTIMATORS)
    assert.equal(parseTrainConfig(`estimator: {name: ${name}}`).estimator.name, name);
  assert.throws(() => parseTrainConfig("estimator: {name: ppo}"), /estimator\.name/);
  assert.deepEqual(ESTIMATORS.filter(isScalarEstimator), ["grpo", "drgrpo", "rloo"]);
});

/** The rule judge, reporting the conditions (presentation orders) of each comparison it makes. */
function countingRules(rules: RuleJudge, count: (conditions: number) => void): PairwiseJudge {
  return {
    name: "counting",
    async compare(p, a, b) {
      const v = await rules.compare(p, a, b);
      count(v.conditions.length);
      return v;
    },
  };
}

test("each estimator makes the judge calls it declares", async () => {
  const rules = new RuleJudge();
  const prompt = "Write one sentence about rain. Include the word umbrella. Use at most 10 words.";
  const responses = ["Rain.", "Rain on my umbrella.", "An umbrella in the rain, wet.", "Sun.", "Umbrella!"];
  for (const name of ESTIMATORS) {
    let conditions = 0;
    const counting = countingRules(rules, (n) => {
      conditions += n;
    });
    const scorer = (p: string, r: string) => {
      conditions++;
      return rules.score(p, r);
    };
    await estimateGroup({ prompt, responses }, counting, {
      estimator: name,
      scorer,
      seed: 1,
      step: 0,
      groupId: 0,
    });
    assert.equal(conditions, judgeCallsFor(name, responses.length), name);
  }
  // BRPO with several references and sub-groups (sub-groups of 2, 2 and 1; of 3 and 2).
  for (const brpoOptions of [{ references: 2 }, { subgroupSize: 2, references: 2 }, { subgroupSize: 3 }]) {
    let conditions = 0;
    const counting = countingRules(rules, (n) => {
      conditions += n;
    });
    await estimateGroup({ prompt, responses }, counting, {
      estimator: "brpo",
      seed: 1,
      step: 0,
      groupId: 0,
      ...brpoOptions,
    });
    assert.equal(
      conditions,
      judgeCallsFor("brpo", responses.length, brpoOptions),
      JSON.stringify(brpoOptions),
    );
  }
});
