import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OpenAICompatibleBackend } from "../../src/llm/openai-compatible.ts";
import { DEFAULT_JUDGE_SAMPLING } from "../../src/llm/types.ts";
import { type ScriptedServer, startScriptedServer } from "../helpers/scripted-server.ts";

const req = (content: string) => ({
  messages: [{ role: "user" as const, content }],
  sampling: DEFAULT_JUDGE_SAMPLING,
});

describe("OpenAI-compatible backend over loopback HTTP", () => {
  let server: ScriptedServer;
  const seen = new Map<string, number>();
  before(async () => {
    server = await startScriptedServer((call) => {
      const key = call.body.messages[0].content;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (key === "429-once")
        return n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { content: "ok" };
      if (key === "500-twice") return n <= 2 ? { status: 500 } : { content: "ok" };
      if (key === "drop-once") return n === 1 ? { drop: true } : { content: "ok" };
      if (key === "always-500") return { status: 500 };
      if (key === "400") return { status: 400 };
      if (key === "slow") return { delayMs: 1500, content: "late" };
      if (key === "not-json") return { rawBody: "<html>" };
      if (key === "length") return { content: "partial", finishReason: "length" };
      if (key === "auth") return { content: call.authorization ?? "none" };
      return { content: `echo:${key}` };
    });
  });
  after(() => server.close());

  const make = (extra: Partial<ConstructorParameters<typeof OpenAICompatibleBackend>[0]> = {}) =>
    new OpenAICompatibleBackend({
      baseUrls: [server.url],
      model: "m",
      backoffBaseMs: 20,
      backoffCapMs: 100,
      ...extra,
    });

  test("a normal reply carries text, finish reason, usage and the model", async () => {
    const r = await make().chat(req("hello"));
    assert.ok(r.ok);
    if (r.ok) {
      assert.equal(r.text, "echo:hello");
      assert.equal(r.finishReason, "stop");
      assert.deepEqual(r.usage, { prompt_tokens: 100, completion_tokens: 20 });
      assert.equal(r.attempts, 1);
    }
    assert.equal(server.calls.at(-1)!.body.model, "m");
  });

  test("429 is retried after Retry-After seconds", async () => {
    const waits: number[] = [];
    const r = await make({ sleep: async (ms) => void waits.push(ms) }).chat(req("429-once"));
    assert.ok(r.ok && r.attempts === 2);
    // Backoff alone is at most 100 ms here: a 1 s wait proves the header was honoured.
    assert.deepEqual(waits, [1000]);
  });

  test("5xx and dropped connections are retried", async () => {
    const a = await make().chat(req("500-twice"));
    assert.ok(a.ok && a.attempts === 3);
    const b = await make().chat(req("drop-once"));
    assert.ok(b.ok && b.attempts === 2);
  });

  test("an outage shorter than the retry window is ridden out past maxRetries; longer ones fail", async () => {
    // The server is down (500) for its first 8 answers. A fake clock advances by each wait.
    let down = 8;
    const outage = await startScriptedServer(() => (down-- > 0 ? { status: 500 } : { content: "back" }));
    try {
      const run = (retryWindowMs: number) => {
        let t = 0;
        const backend = new OpenAICompatibleBackend({
          baseUrls: [outage.url],
          model: "m",
          maxRetries: 2,
          backoffBaseMs: 400,
          backoffCapMs: 1000,
          retryWindowMs,
          now: () => t,
          sleep: async (ms) => {
            t += ms;
          },
        });
        return backend.chat(req("x"));
      };
      const within = await run(60_000);
      assert.ok(within.ok, "a 60 s window outlasts 8 failures of at most 1 s backoff each");
      assert.equal(within.attempts, 9);
      down = 8;
      const without = await run(0);
      assert.equal(without.ok, false);
      assert.equal(without.attempts, 3, "maxRetries alone: three attempts");
    } finally {
      await outage.close();
    }
  });

  test("retries run out into a typed failure", async () => {
    const r = await make({ maxRetries: 2 }).chat(req("always-500"));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error, "http_error");
      assert.equal(r.status, 500);
      assert.equal(r.attempts, 3);
    }
  });

  test("other 4xx are not retried", async () => {
    const before = server.calls.length;
    const r = await make().chat(req("400"));
    assert.ok(!r.ok && r.error === "http_error" && r.status === 400 && r.attempts === 1);
    assert.equal(server.calls.length - before, 1);
  });

  test("a slow server times out", async () => {
    const r = await make({ timeoutMs: 200, maxRetries: 1 }).chat(req("slow"));
    assert.ok(!r.ok && r.error === "timeout" && r.attempts === 2);
  });

  test("a non-JSON body is a bad_response; finish reason length is reported", async () => {
    const r = await make({ maxRetries: 0 }).chat(req("not-json"));
    assert.ok(!r.ok && r.error === "bad_response");
    const l = await make().chat(req("length"));
    assert.ok(l.ok && l.finishReason === "length");
  });

  test("the API key goes in a bearer header; requests spread over replicas", async () => {
    const r = await make({ apiKey: "sk-test" }).chat(req("auth"));
    assert.ok(r.ok && r.text === "Bearer sk-test");
    const second = await startScriptedServer(() => ({ content: "from-second" }));
    const backend = make({ baseUrls: [server.url, second.url] });
    const texts = await Promise.all([1, 2, 3, 4].map(() => backend.chat(req("x"))));
    assert.equal(texts.filter((t) => t.ok && t.text === "from-second").length, 2);
    await second.close();
  });

  test("the concurrency limit caps requests in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = await startScriptedServer(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return { content: "\\boxed{1, 2}" };
    });
    const backend = new OpenAICompatibleBackend({ baseUrls: [slow.url], model: "m", concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => backend.chat(req("c"))));
    assert.equal(peak, 3);
    await slow.close();
  });
});
