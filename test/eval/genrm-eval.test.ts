import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bradleyTerry, lengthControlledWinRate, type PairResult } from "../../src/eval/bradley-terry.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { runWz } from "../helpers/cli.ts";
import { type ScriptedServer, shownResponses, startScriptedServer } from "../helpers/scripted-server.ts";

describe("wz genrm-eval against a scripted judge", () => {
  let server: ScriptedServer;
  const dir = mkdtempSync(join(tmpdir(), "wz-genrm-eval-"));
  before(async () => {
    // Scores by the number of "good"; on prompts marked BIAS it always prefers the first shown.
    server = await startScriptedServer((call) => {
      const { prompt, first, second } = shownResponses(call);
      const q = (s: string) => (s.match(/good/g) ?? []).length;
      if (prompt.includes("BIAS")) return { content: "\\boxed{8, 3}" };
      return { content: `\\boxed{${q(first)}, ${q(second)}}` };
    });
  });
  after(() => server.close());

  test("reports accuracy under both orders, per order, consistency, position bias and length buckets", async () => {
    // 12 pairs: 8 honest (6 right: chosen has more "good"; 2 wrong: rejected has more), 4 BIAS.
    const rows: object[] = [];
    for (let i = 0; i < 6; i++)
      rows.push({
        id: `r${i}`,
        prompt: `P${i}`,
        response_a: "good good story",
        response_b: "good story",
        label: "a",
      });
    for (let i = 0; i < 2; i++)
      rows.push({
        id: `w${i}`,
        prompt: `W${i}`,
        response_a: "good good tale",
        response_b: "good tale",
        label: "b",
      });
    for (let i = 0; i < 4; i++)
      rows.push({ id: `b${i}`, prompt: `BIAS ${i}`, response_a: "x", response_b: "y", label: "a" });
    // LitBench-style rows are adapted too (chosen becomes a, label a).
    writeFileSync(join(dir, "pairs.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n"));
    const out = join(dir, "out");
    const r = await runWz([
      "genrm-eval",
      "--input",
      join(dir, "pairs.jsonl"),
      "--base-url",
      server.url,
      "--model",
      "m",
      "--cache",
      join(dir, "c.sqlite"),
      "--votes",
      "1,2",
      "--output",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    const s = summary.results[0].summary;
    assert.equal(s.labelled, 12);
    assert.equal(s.accuracy.value, 6 / 12); // BIAS pairs are inconsistent: never right under both orders
    assert.equal(s.accuracyFirstOrder.value, 10 / 12); // a shown first: 6 right + 4 BIAS pick a
    assert.equal(s.accuracySecondOrder.value, 6 / 12); // b shown first: BIAS picks b
    assert.equal(s.consistency.value, 8 / 12);
    // Decisive conditions: 8 honest pairs x 2 orders (first wins in half) + 4 BIAS x 2 (first always).
    assert.equal(s.firstPositionWinRate.value, (8 + 8) / 24);
    assert.equal(s.failureRate.value, 0);
    assert.equal(s.longerWinRate.value, 1); // every decisive honest verdict picked the longer response
    assert.ok(s.accuracy.ci[0] < 0.5 && s.accuracy.ci[1] > 0.5);
    assert.equal(summary.results[1].votes, 2);
    assert.match(r.stdout, /first-position win rate\s+66\.7%/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    assert.match(html, /Judge accuracy, votes 2/);
    assert.match(html, /accuracy \(both orders\) as votes grow/);
  });
});

describe("Bradley-Terry and length control", () => {
  test("recovers the order and spacing of known strengths", () => {
    const truth = [0, 200, 400]; // Elo-like ratings
    const r = mulberry32(4);
    const results: PairResult[] = [];
    for (let k = 0; k < 3000; k++) {
      const a = k % 3;
      const b = (k + 1 + (k % 2)) % 3;
      if (a === b) continue;
      const p = 1 / (1 + 10 ** ((truth[b] - truth[a]) / 400));
      results.push({ a, b, scoreA: r() < p ? 1 : 0 });
    }
    const est = bradleyTerry(3, results);
    assert.ok(est[0] < est[1] && est[1] < est[2]);
    assert.ok(Math.abs(est[2] - est[0] - 400) < 60, `spread ${est[2] - est[0]}`);
  });

  test("a win rate that comes only from length is near 0.5 once length is controlled", () => {
    const r = mulberry32(8);
    const results: PairResult[] = [];
    for (let k = 0; k < 2000; k++) {
      const diff = (r() - 0.3) * 100; // a is usually longer
      const p = 1 / (1 + Math.exp(-diff / 20)); // the judge only likes length
      results.push({ a: 0, b: 1, scoreA: r() < p ? 1 : 0, lengthDiff: diff });
    }
    const raw = results.reduce((s, x) => s + x.scoreA, 0) / results.length;
    const lc = lengthControlledWinRate(results)!;
    assert.ok(raw > 0.65, `raw ${raw}`);
    assert.ok(Math.abs(lc - 0.5) < 0.06, `length-controlled ${lc}`);
  });
});
