import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseCriterionScore } from "../../src/eval/criteria.ts";
import { runWz } from "../helpers/cli.ts";
import { type ScriptedServer, startScriptedServer } from "../helpers/scripted-server.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-eval-"));

describe("wz eval, pairwise, on previously generated responses", () => {
  test("win rates, length control and ratings follow the rule-based judge", async () => {
    const prompts = Array.from({ length: 20 }, (_, i) => ({
      id: `p${i}`,
      prompt: `Write a line about the sea. Include the word anchor. Use at most 12 words.`,
    }));
    writeFileSync(join(dir, "prompts.jsonl"), prompts.map((p) => JSON.stringify(p)).join("\n"));
    const write = (name: string, f: (i: number) => string) =>
      writeFileSync(
        join(dir, `${name}.jsonl`),
        prompts.map((p, i) => JSON.stringify({ id: p.id, response: f(i) })).join("\n"),
      );
    write("best", () => "The anchor sleeps under grey waves.");
    write("mid", (i) => (i % 2 ? "The anchor sleeps under grey waves." : "Grey waves roll over the sand."));
    write("worst", () => "Grey waves roll. This response meets all the requirements.");
    const r = await runWz([
      "eval",
      "--judge",
      "rules",
      "--models",
      `best=responses:${join(dir, "best.jsonl")}`,
      "--models",
      `mid=responses:${join(dir, "mid.jsonl")}`,
      "--models",
      `worst=responses:${join(dir, "worst.jsonl")}`,
      "--prompts",
      join(dir, "prompts.jsonl"),
      "--output",
      join(dir, "out"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8"));
    const pw = (a: string, b: string) =>
      s.pairwise.find((p: { a: string; b: string }) => p.a === a && p.b === b);
    // best vs mid: mid ties on the odd half and loses on the even half -> 0.5 + 0.5 x 0.5 = 0.75.
    assert.equal(pw("best", "mid").winRate, 0.75);
    assert.equal(pw("best", "worst").winRate, 1);
    assert.deepEqual(
      s.ratings.map((x: { model: string }) => x.model),
      ["best", "mid", "worst"],
    );
    assert.ok(readFileSync(join(dir, "out", "report.html"), "utf8").includes("Bradley-Terry"));
  });
});

describe("wz eval --criteria (WritingBench-style) with a scripted GenRM", () => {
  let server: ScriptedServer;
  before(async () => {
    // Scores each criterion by the response's length class; "BROKEN" responses get no JSON.
    server = await startScriptedServer((call) => {
      const user = call.body.messages[1].content;
      const response = user.split("Response:\n<<<\n")[1].split("\n>>>")[0];
      if (response.includes("BROKEN")) return { content: "I would give it a good score." };
      const score = response.length > 30 ? 8 : 4;
      return { content: `<think>weighing</think>{"score": ${score}, "reason": "length class"}` };
    });
  });
  after(() => server.close());

  test("reports per-criterion and mean scores and counts failures", async () => {
    const q = join(process.cwd(), "test", "fixtures", "criteria-queries.jsonl");
    writeFileSync(
      join(dir, "long.jsonl"),
      [1, 2]
        .map((id) => JSON.stringify({ id, response: "A long enough response with many words in it." }))
        .join("\n"),
    );
    writeFileSync(
      join(dir, "short.jsonl"),
      [1, 2].map((id) => JSON.stringify({ id, response: id === 2 ? "BROKEN" : "Short one." })).join("\n"),
    );
    const r = await runWz([
      "eval",
      "--criteria",
      "--base-url",
      server.url,
      "--model",
      "judge",
      "--no-cache",
      "--parse-retries",
      "0",
      "--models",
      `long=responses:${join(dir, "long.jsonl")}`,
      "--models",
      `short=responses:${join(dir, "short.jsonl")}`,
      "--prompts",
      q,
      "--output",
      join(dir, "crit"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(dir, "crit", "summary.json"), "utf8"));
    const long = s.criteria.find((c: { model: string }) => c.model === "long");
    const short = s.criteria.find((c: { model: string }) => c.model === "short");
    assert.equal(long.mean, 8);
    assert.equal(long.perCriterion.Imagery, 8);
    assert.equal(long.failed, 0);
    assert.equal(short.mean, 4);
    assert.equal(short.failed, 5); // the BROKEN response fails on all 5 criteria of query 2
    assert.equal(s.criteria_template_version, "wz-criteria-v1");
  });

  test("the criterion parser takes the last JSON object and checks the range", () => {
    assert.deepEqual(parseCriterionScore('{"score": 3} then {"score": 7, "reason": "ok"}'), {
      ok: true,
      score: 7,
      reason: "ok",
    });
    assert.equal(
      (parseCriterionScore('{"score": 11, "reason": "x"}') as { error: string }).error,
      "out_of_range",
    );
    assert.equal((parseCriterionScore('{"score": 6.5}') as { error: string }).error, "out_of_range");
    assert.equal((parseCriterionScore("no json") as { error: string }).error, "no_answer");
  });
});

describe("wz eval with an OpenAI-compatible generator", () => {
  let gen: ScriptedServer;
  before(async () => {
    // A "model" server: the good model includes the required word, the other does not.
    gen = await startScriptedServer((call) => ({
      content:
        call.body.model === "good"
          ? "<think>plan</think>The anchor rests in the bay."
          : "Waves roll in the bay.",
    }));
  });
  after(() => gen.close());

  test("generates through the endpoint, strips reasoning, and judges", async () => {
    const prompts = join(dir, "p2.jsonl");
    writeFileSync(
      prompts,
      [0, 1, 2]
        .map((i) =>
          JSON.stringify({ id: `q${i}`, prompt: "Write a line about the sea. Include the word anchor." }),
        )
        .join("\n"),
    );
    const r = await runWz([
      "eval",
      "--judge",
      "rules",
      "--models",
      `good=openai:${gen.url}@good`,
      "--models",
      `plain=openai:${gen.url}@plain`,
      "--prompts",
      prompts,
      "--output",
      join(dir, "oa"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(join(dir, "oa", "responses-good.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].response, "The anchor rests in the bay.");
    const s = JSON.parse(readFileSync(join(dir, "oa", "summary.json"), "utf8"));
    assert.equal(s.pairwise[0].winRate, 1);
  });
});
