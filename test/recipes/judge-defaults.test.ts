// Voting@n samples: votes > 1 without a temperature gets 0.6; a pinned temperature is kept.
// The step's first-position rate counts decisive conditions won by the response shown first.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { GenRMJudge } from "../../src/judge/genrm.ts";
import { createJudge } from "../../src/recipes/judges/index.ts";
import { firstPositionRate } from "../../src/rl/metrics.ts";
import { verdictFrom } from "../helpers/judges.ts";

const spec = { kind: "genrm" as const, baseUrls: ["http://127.0.0.1:9/v1"], model: "m", cache: null };

test("votes > 1 default to temperature 0.6; one vote to 0; an explicit temperature wins", () => {
  const t = (s: Partial<typeof spec> & { votes?: number; temperature?: number }) =>
    (createJudge({ ...spec, ...s }).judge as GenRMJudge).sampling.temperature;
  assert.equal(t({ votes: 1 }), 0);
  assert.equal(t({ votes: 4 }), 0.6);
  assert.equal(t({ votes: 4, temperature: 0 }), 0);
  assert.equal(t({ votes: 1, temperature: 0.3 }), 0.3);
});

test("first-position rate over a step's conditions", () => {
  // conditions alternate ab, ba: winners a (first wins), a (shown second in ba: second wins), b, tie
  const v1 = verdictFrom(["a", "a"]);
  const v2 = verdictFrom(["b", "tie"]);
  const est = (v: ReturnType<typeof verdictFrom>) =>
    ({ comparisons: [{ member: 1, against: 0, outcome: v.outcome, score: null, verdict: v }] }) as never;
  // decisive: ab-a (first), ba-a (second), ab-b (second) -> 1 of 3
  assert.equal(firstPositionRate([est(v1), est(v2)]), 1 / 3);
  assert.equal(firstPositionRate([]), null);
});
