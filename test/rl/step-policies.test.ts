// The loop's step policies, each on its own: what it says, when, and when it stops a run. Each
// case fails on a policy that never fires, fires every step, or stops on the wrong count.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RolloutConfigSchema, UpdateConfigSchema } from "../../src/rl/config.ts";
import type { GroupAdvantages } from "../../src/rl/estimators/types.ts";
import { promptsForRound } from "../../src/rl/policies/dynamic-sampling.ts";
import { warnOnCutCritiques } from "../../src/rl/policies/judge-cut.ts";
import { stopOnJudgeFailures } from "../../src/rl/policies/judge-failures.ts";
import { warnOnOverOptimisation } from "../../src/rl/policies/over-optimisation.ts";

/** One group whose single comparison failed (kind no_answer) or succeeded. */
function estimates(failed: boolean): GroupAdvantages[] {
  const cond = failed
    ? { order: "ab", winner: null, error: "no_answer", raw: "both fine", errorDetail: null }
    : { order: "ab", winner: "a", error: null, raw: "A", errorDetail: null };
  return [{ comparisons: [{ verdict: { conditions: [cond] } }] } as unknown as GroupAdvantages];
}

test("judge failures: one warning on the first failing step, a stop after max_failing_steps in a row", () => {
  const policy = stopOnJudgeFailures(UpdateConfigSchema.parse({ max_failing_steps: 3 }));
  const failing = { judge_failure_rate: 1 };
  const a = policy.afterStep(0, failing, estimates(true));
  assert.equal(a.warnings?.length, 1);
  assert.match(
    a.warnings![0],
    /failed 100% of comparisons at step 1 \(no_answer 1\); one reply: "both fine"/,
  );
  assert.equal(a.stop, undefined);
  assert.deepEqual(policy.afterStep(1, failing, estimates(true)), { warnings: [] });
  // a good step resets the count: two more failing steps do not stop yet
  policy.afterStep(2, { judge_failure_rate: 0 }, estimates(false));
  policy.afterStep(3, failing, estimates(true));
  assert.equal(policy.afterStep(4, failing, estimates(true)).stop, undefined);
  assert.match(policy.afterStep(5, failing, estimates(true)).stop ?? "", /for 3 consecutive steps/);
});

test("cut critiques: warned once, only above the share, naming the limit", () => {
  const policy = warnOnCutCritiques(200);
  assert.deepEqual(policy.afterStep(0, { judge_cut_rate: 0.1 }, []), {});
  assert.match(
    policy.afterStep(1, { judge_cut_rate: 0.5 }, []).warnings![0],
    /50%.*raise judge.max_tokens \(now 200\)/,
  );
  assert.deepEqual(policy.afterStep(2, { judge_cut_rate: 0.9 }, []), {});
});

test("over-optimisation: warns when the proxy rises while the evaluation falls, history included", () => {
  const history = [1, 2, 3].map((k) => ({ proxy_score_mean: 5 + k, eval_score_mean: 8 - k }));
  const policy = warnOnOverOptimisation(4, history);
  assert.deepEqual(policy.afterStep(3, { proxy_score_mean: null, eval_score_mean: null }, []), {});
  const w = policy.afterStep(4, { proxy_score_mean: 9, eval_score_mean: 4 }, []).warnings;
  assert.match(w?.[0] ?? "", /over-optimisation at step 5/);
  // rising together is no warning
  const calm = warnOnOverOptimisation(
    4,
    history.map((h) => ({ ...h, eval_score_mean: h.proxy_score_mean })),
  );
  assert.deepEqual(calm.afterStep(4, { proxy_score_mean: 9, eval_score_mean: 9 }, []), {});
});

test("dynamic sampling: refills only what was dropped, within max_refills, only when enabled", () => {
  const on = RolloutConfigSchema.parse({ prompts_per_step: 8, dynamic_sampling: true, max_refills: 2 });
  assert.equal(promptsForRound(on, 0, 0), 8);
  assert.equal(promptsForRound(on, 1, 5), 3);
  assert.equal(promptsForRound(on, 1, 8), null);
  assert.equal(promptsForRound(on, 3, 5), null);
  const off = RolloutConfigSchema.parse({ prompts_per_step: 8 });
  assert.equal(promptsForRound(off, 1, 5), null);
});
