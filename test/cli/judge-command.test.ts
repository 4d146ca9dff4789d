import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runWz } from "../helpers/cli.ts";
import { type ScriptedServer, shownResponses, startScriptedServer } from "../helpers/scripted-server.ts";

// The scripted judge scores a response by how many times it says "good"; the prompt picks a
// misbehaviour for that pair.
const quality = (s: string) => (s.match(/good/g) ?? []).length;

describe("wz judge against a scripted OpenAI-compatible server", () => {
  let server: ScriptedServer;
  const dir = mkdtempSync(join(tmpdir(), "wz-judge-"));
  const seen = new Map<string, number>();
  before(async () => {
    server = await startScriptedServer((call) => {
      const { prompt, first, second } = shownResponses(call);
      const key = `${prompt}|${first}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      const box = `Criteria: ...\nCritique: ...\n\\boxed{${quality(first)}, ${quality(second)}}`;
      if (prompt === "malformed") return { content: "Both are lovely. Score: high." };
      if (prompt === "slow") return { delayMs: 3000, content: box };
      if (prompt === "rate-limited")
        return n === 1 ? { status: 429, headers: { "retry-after": "0.2" } } : { content: box };
      if (prompt === "flaky") return n === 1 ? { status: 500 } : n === 2 ? { drop: true } : { content: box };
      if (prompt === "bad-request") return { status: 400 };
      return { content: box };
    });
  });
  after(() => server.close());

  const pairs = [
    { id: "p1", prompt: "ok", response_a: "good good", response_b: "good", label: "a" },
    { id: "p2", prompt: "ok", response_a: "meh", response_b: "good", label: "b" },
    "{ this is not json",
    { id: "p3", prompt: "malformed", response_a: "x", response_b: "y" },
    { id: "p4", prompt: "slow", response_a: "good", response_b: "bad" },
    { id: "p5", prompt: "rate-limited", response_a: "good", response_b: "" },
    { id: "p6", prompt: "flaky", response_a: "", response_b: "good" },
    { id: "p7", prompt: "bad-request", response_a: "a", response_b: "b" },
    { id: "p8", prompt: "ok", response_b: "missing a" },
    { id: "p9", prompt: "ok", response_a: "same", response_b: "same" },
  ];
  const input = join(dir, "pairs.jsonl");
  writeFileSync(input, pairs.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join("\n") + "\n");
  const args = (out: string) => [
    "judge",
    "--input",
    input,
    "--output",
    out,
    "--base-url",
    server.url,
    "--model",
    "scripted-judge",
    "--timeout",
    "0.5",
    "--max-retries",
    "3",
    // failures here are permanent by script: no outage window to wait out
    "--retry-window",
    "0",
    "--cache",
    join(dir, "cache.sqlite"),
  ];

  test("writes one verdict per valid line in input order, with typed failures", async () => {
    const out = join(dir, "v1.jsonl");
    const r = await runWz(args(out), { env: { WZ_API_KEY: "" } });
    assert.equal(r.code, 1, r.stderr); // malformed lines and failed verdicts make a non-zero exit
    assert.match(r.stderr, /skipped line 3: not valid JSON/);
    assert.match(r.stderr, /skipped line 9: field "response_a" is missing/);
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.id),
      ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p9"],
    );
    const by = Object.fromEntries(lines.map((l) => [l.id, l]));
    assert.equal(by.p1.outcome, "a");
    assert.equal(by.p1.score_a, 2);
    assert.equal(by.p1.score_b, 1);
    assert.equal(by.p1.model, "scripted-judge");
    assert.equal(by.p1.template_version, "wz-pairwise-v2");
    assert.match(by.p1.principles_hash, /^[0-9a-f]{16}$/);
    assert.deepEqual(
      by.p1.conditions.map((c: { order: string }) => c.order),
      ["ab", "ba"],
    );
    assert.match(by.p1.conditions[0].raw, /\\boxed\{2, 1\}/);
    assert.equal(by.p2.outcome, "b");
    assert.equal(by.p9.outcome, "tie");

    assert.equal(by.p3.outcome, "failed");
    assert.equal(by.p3.score_a, null);
    assert.equal(by.p3.conditions[0].error, "no_answer");
    assert.equal(by.p3.conditions[0].raw, "Both are lovely. Score: high.");

    assert.equal(by.p4.outcome, "failed");
    assert.equal(by.p4.conditions[0].error, "timeout");

    assert.equal(by.p5.outcome, "a"); // 429 then success
    assert.ok(by.p5.conditions.every((c: { attempts: number }) => c.attempts === 2));
    assert.equal(by.p6.outcome, "b"); // 500, dropped connection, then success
    assert.ok(by.p6.conditions.every((c: { attempts: number }) => c.attempts === 3));

    assert.equal(by.p7.outcome, "failed");
    assert.equal(by.p7.conditions[0].error, "http_error");
    assert.equal(by.p7.conditions[0].attempts, 1);

    assert.match(r.stderr, /outcomes: a 2, b 2, tie 1, inconsistent 0, failed 3/);
    assert.match(r.stderr, /accuracy on 2 labelled pairs: 100\.0%/);
    assert.match(r.stderr, /failed conditions by kind: .*timeout 2/);
  });

  test("a re-run reuses the cache for successes and retries only the failures", async () => {
    const before = server.calls.length;
    const out = join(dir, "v2.jsonl");
    const r = await runWz(args(out));
    assert.equal(r.code, 1);
    const newCalls = server.calls.slice(before).map((c) => shownResponses(c).prompt);
    assert.ok(!newCalls.includes("ok"), "successful conditions must come from the cache");
    assert.ok(newCalls.includes("malformed") && newCalls.includes("bad-request"));
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(lines.find((l) => l.id === "p1").conditions.every((c: { cached: boolean }) => c.cached));
  });

  test("usage errors name the flag", async () => {
    const r = await runWz([
      "judge",
      "--input",
      input,
      "--votes",
      "zero",
      "--base-url",
      server.url,
      "--model",
      "m",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--votes: expected an integer/);
    const r2 = await runWz(["judge", "--input", input]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--base-url is required/);
  });
});
