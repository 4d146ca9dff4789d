// The experiment's statistics against values worked by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  comparisonTable,
  formatInterval,
  meanCurve,
  meanInterval,
  summariseArm,
} from "../../src/eval/aggregate.ts";

test("mean and 95% t-interval over seeds", () => {
  // [1, 2, 3]: mean 2, sample sd 1, se 1/sqrt(3), t(0.975, 2) = 4.303 -> half-width 2.4843
  const iv = meanInterval([1, 2, 3])!;
  assert.equal(iv.mean, 2);
  assert.ok(Math.abs(iv.lo! - (2 - 4.303 / Math.sqrt(3))) < 1e-9);
  assert.ok(Math.abs(iv.hi! - (2 + 4.303 / Math.sqrt(3))) < 1e-9);
  // nulls are dropped; one value has no spread
  assert.deepEqual(meanInterval([null, 0.4]), { mean: 0.4, lo: null, hi: null, n: 1 });
  assert.equal(meanInterval([null]), null);
  // a share's interval stays inside [0, 1]
  const share = meanInterval([0.9, 1, 0.95], [0, 1])!;
  assert.equal(share.hi, 1);
  assert.ok(share.lo! > 0.8 && share.lo! < 0.9);
  assert.equal(formatInterval(share, "share"), `95.0% [${(100 * share.lo!).toFixed(1)}, 100.0]`);
});

test("arm summaries, curves and the table", () => {
  const run = (seed: number, win: number, words: number, steps: [number, number | null][]) => ({
    seed,
    final: { gold_win_rate: win, words },
    initial: {},
    steps: steps.map(([step, v]) => ({ step, eval_score_mean: v })),
  });
  const runs = [
    run(1, 0.6, 10, [
      [1, 5],
      [2, 6],
    ]),
    run(2, 0.8, 12, [
      [1, 7],
      [2, null],
    ]),
  ];
  const s = summariseArm("a", "brpo", runs);
  assert.ok(Math.abs(s.figures.gold_win_rate!.mean - 0.7) < 1e-12);
  assert.equal(s.figures.words!.mean, 11);
  assert.equal(s.figures.fluent, null);
  // step 1 averages both seeds, step 2 only the seed that has it
  assert.deepEqual(meanCurve(runs, "eval_score_mean"), [
    [1, 6],
    [2, 6],
  ]);
  const table = comparisonTable([s]).split("\n");
  assert.equal(table.length, 3);
  assert.match(table[2], /^a\s+70\.0% \[/);
  assert.match(table[2], /n\/a/);
});
