import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CachedReply, GenRMJudge } from "../../src/judge/genrm.ts";
import { verdictStats } from "../../src/judge/stats.ts";
import type { ChatBackend, ChatRequest, ChatResult } from "../../src/llm/types.ts";

/** An in-process backend answering from a function of the two shown responses. */
function backend(
  score: (first: string, second: string, req: ChatRequest) => string | ChatResult,
): ChatBackend & {
  calls: ChatRequest[];
} {
  const calls: ChatRequest[] = [];
  return {
    model: "scripted",
    calls,
    async chat(req) {
      calls.push(req);
      const user = req.messages[1].content;
      const grab = (tag: string) =>
        user.match(new RegExp(`<${tag}-[0-9a-f]+>\\n([\\s\\S]*?)\\n</${tag}-`))![1];
      const r = score(grab("response-1"), grab("response-2"), req);
      if (typeof r !== "string") return r;
      return {
        ok: true,
        text: r,
        finishReason: "stop",
        usage: { prompt_tokens: 10, completion_tokens: 5 },
        latencyMs: 1,
        attempts: 1,
      };
    },
  };
}

const quality = (s: string) => (s.match(/good/g) ?? []).length;

describe("GenRM voting", () => {
  test("a consistent judge: the better response wins under both orders", async () => {
    const b = backend((f, s) => `\\boxed{${quality(f)}, ${quality(s)}}`);
    const judge = new GenRMJudge({ backend: b });
    const v = await judge.compare("p", "good good", "good");
    assert.equal(v.outcome, "a");
    assert.equal(v.conditions.length, 2);
    assert.deepEqual(
      v.conditions.map((c) => [c.order, c.scoreA, c.scoreB]),
      [
        ["ab", 2, 1],
        ["ba", 2, 1],
      ],
    );
    assert.equal(v.scoreA, 2);
    assert.equal(v.lengthA, 9);
    assert.equal(v.lengthB, 4);
    assert.equal(b.calls.length, 2);
  });

  test("a judge that always prefers the first position is inconsistent", async () => {
    const judge = new GenRMJudge({ backend: backend(() => "\\boxed{8, 4}") });
    const v = await judge.compare("p", "x", "y");
    assert.equal(v.outcome, "inconsistent");
    const stats = verdictStats([v]);
    assert.equal(stats.firstPositionWinRate, 1);
    assert.equal(stats.consistency, 0);
  });

  test("all conditions tie -> tie; votes multiply the conditions and vary the seed", async () => {
    const b = backend(() => "\\boxed{5, 5}");
    const v = await new GenRMJudge({ backend: b, votes: 3 }).compare("p", "x", "y");
    assert.equal(v.outcome, "tie");
    assert.equal(v.conditions.length, 6);
    assert.deepEqual([...new Set(b.calls.map((c) => c.sampling.seed))].sort(), [0, 1, 2]);
  });

  test("one vote disagreeing makes the verdict inconsistent", async () => {
    const b = backend((f, s, req) =>
      req.sampling.seed === 1
        ? `\\boxed{${quality(s)}, ${quality(f)}}`
        : `\\boxed{${quality(f)}, ${quality(s)}}`,
    );
    const v = await new GenRMJudge({ backend: b, votes: 2 }).compare("p", "good", "");
    assert.equal(v.outcome, "inconsistent");
  });

  test("an unparseable reply is retried, then fails the verdict with its kind and raw text", async () => {
    const b = backend(() => "I think both are fine.");
    const v = await new GenRMJudge({ backend: b, parseRetries: 2 }).compare("p", "x", "y");
    assert.equal(v.outcome, "failed");
    assert.equal(v.scoreA, null);
    assert.equal(b.calls.length, 6); // 2 conditions x (1 + 2 retries)
    for (const c of v.conditions) {
      assert.equal(c.error, "no_answer");
      assert.equal(c.raw, "I think both are fine.");
      assert.equal(c.scoreA, null);
    }
  });

  test("a parse retry that succeeds rescues the condition", async () => {
    const seen = new Set<string>();
    const b = backend((f) => {
      const firstTime = !seen.has(f);
      seen.add(f);
      return firstTime ? "\\boxed{12, 3}" : "\\boxed{7, 3}";
    });
    const v = await new GenRMJudge({ backend: b }).compare("p", "x", "y");
    assert.equal(v.conditions.filter((c) => c.error === null).length, 2);
    assert.equal(v.conditions[0].attempts, 2);
  });

  test("a call failure is a failed condition, never a score, and is not retried by the judge", async () => {
    const b = backend(() => ({ ok: false, error: "timeout", detail: "slow", latencyMs: 5, attempts: 3 }));
    const v = await new GenRMJudge({ backend: b }).compare("p", "x", "y");
    assert.equal(v.outcome, "failed");
    assert.equal(v.conditions[0].error, "timeout");
    assert.equal(v.conditions[0].attempts, 3);
    assert.equal(b.calls.length, 2);
  });

  test("the cache serves repeated conditions and never stores failures", async () => {
    const store = new Map<string, CachedReply>();
    const cache = {
      get: (k: string) => store.get(k),
      set: (k: string, v: CachedReply) => void store.set(k, v),
    };
    let fail = true;
    const b = backend((f, s) => (fail && f === "bad" ? "no score" : `\\boxed{${quality(f)}, ${quality(s)}}`));
    const judge = new GenRMJudge({ backend: b, cache, parseRetries: 0 });
    const v1 = await judge.compare("p", "good", "bad");
    assert.equal(v1.outcome, "failed");
    assert.equal(store.size, 1); // only the successful condition ("ab": good shown first)
    fail = false;
    const before = b.calls.length;
    const v2 = await judge.compare("p", "good", "bad");
    assert.equal(v2.outcome, "a");
    assert.equal(b.calls.length - before, 1); // the cached condition made no call
    assert.deepEqual(
      v2.conditions.map((c) => c.cached),
      [true, false],
    );
    // A different principle set or model is a different key.
    const other = new GenRMJudge({ backend: { ...b, model: "other", chat: b.chat }, cache, parseRetries: 0 });
    await other.compare("p", "good", "bad");
    assert.equal(b.calls.length - before, 3);
  });
});

describe("verdict statistics", () => {
  test("counts outcomes, consistency, failures and accuracy", async () => {
    const good = new GenRMJudge({ backend: backend((f, s) => `\\boxed{${quality(f)}, ${quality(s)}}`) });
    const firstBias = new GenRMJudge({ backend: backend(() => "\\boxed{6, 5}") });
    const broken = new GenRMJudge({ backend: backend(() => "?"), parseRetries: 0 });
    const verdicts = [
      await good.compare("p", "good", ""), // a, consistent
      await good.compare("p", "", "good"), // b, consistent
      await firstBias.compare("p", "x", "y"), // inconsistent
      await broken.compare("p", "x", "y"), // failed
    ];
    const s = verdictStats(verdicts, ["a", "a", "a", undefined]);
    assert.deepEqual(s.outcomes, { a: 1, b: 1, tie: 0, inconsistent: 1, failed: 1 });
    assert.equal(s.consistency, 2 / 3);
    assert.equal(s.failureRate, 1 / 4);
    assert.equal(s.failuresByKind.no_answer, 2);
    assert.equal(s.accuracy, 1 / 3);
    // decisive conditions: 2 + 2 + 2 = 6; first shown won in verdicts 3 (2 of 2) and in half of 1 and 2.
    assert.equal(s.firstPositionWinRate, 4 / 6);
  });
});
