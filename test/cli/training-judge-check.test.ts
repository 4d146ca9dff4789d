// wz eval warns when it judges a policy with the judge that policy was trained against.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { trainingJudgeWarnings } from "../../src/cli/training-judge-check.ts";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import { RunStore } from "../../src/store/run-store.ts";

function fakeRun(judgeYaml: string): string {
  const run = mkdtempSync(join(tmpdir(), "wz-run-"));
  mkdirSync(join(run, "final"));
  const store = new RunStore(join(run, "run.sqlite"));
  store.setMeta("config", parseTrainConfig(`judge: ${judgeYaml}\n`));
  store.close();
  return run;
}

test("a policy trained against the rule judge and judged by it gets a warning", () => {
  const run = fakeRun("{kind: rules}");
  const w = trainingJudgeWarnings([join(run, "final")], { kind: "rules" });
  assert.equal(w.length, 1);
  assert.match(w[0], /trained by the run in .* against this same judge.*not evidence/);
  assert.deepEqual(trainingJudgeWarnings([join(run, "final")], { kind: "genrm", model: "m" }), []);
});

test("a GenRM judge is the same judge only for the same model", () => {
  const run = fakeRun("{kind: genrm, base_url: 'http://127.0.0.1:9/v1', model: judge-8b}");
  assert.equal(trainingJudgeWarnings([join(run, "final")], { kind: "genrm", model: "judge-8b" }).length, 1);
  assert.equal(trainingJudgeWarnings([join(run, "final")], { kind: "genrm", model: "other" }).length, 0);
  assert.deepEqual(trainingJudgeWarnings([mkdtempSync(join(tmpdir(), "wz-x-"))], { kind: "rules" }), []);
});
