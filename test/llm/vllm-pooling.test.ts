// A reward model on vLLM's pooling API, against a loopback stand-in: the request vLLM expects, the
// reply shapes it gives, and failures that are counted and never become a reward of 0.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { ScalarRewardJudge } from "../../src/judge/scalar-judge.ts";
import { rewardOfPoolingReply, VllmPoolingScorer } from "../../src/llm/vllm-pooling.ts";

test("the reward in each reply shape: a number, a per-token list, a nested list; or why there is none", () => {
  assert.equal(rewardOfPoolingReply({ data: [{ data: 1.5 }] }), 1.5);
  assert.equal(rewardOfPoolingReply({ data: [{ data: [0.1, 0.2, -0.7] }] }), -0.7);
  assert.equal(rewardOfPoolingReply({ data: [{ data: [[0.3], [2.25]] }] }), 2.25);
  assert.match(String(rewardOfPoolingReply({ data: [] })), /no data/);
  assert.match(String(rewardOfPoolingReply({ data: [{ data: [] }] })), /empty/);
  assert.match(String(rewardOfPoolingReply({ data: [{ data: "x" }] })), /not a number/);
});

const seen: { url: string; body: Record<string, unknown> }[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const parsed = JSON.parse(body);
    seen.push({ url: req.url ?? "", body: parsed });
    const response = parsed.messages?.[1]?.content ?? "";
    if (response.includes("boom")) {
      res.writeHead(500).end("internal error");
      return;
    }
    // The stand-in's reward: the response's length in words, per token as vLLM's ALL pooling does.
    const words = response.split(/\s+/).filter(Boolean).length;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ object: "list", data: [{ index: 0, object: "pooling", data: [[0], [words]] }] }),
    );
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
after(() => server.close());

test("one /pooling request per response with the conversation as chat messages; the reward read back", async () => {
  const scorer = new VllmPoolingScorer({ baseUrl: url, model: "rm-7b" });
  assert.equal(await scorer.score("Write about rain.", "Rain falls on the town."), 5);
  const call = seen[seen.length - 1];
  assert.equal(call.url, "/pooling");
  assert.deepEqual(call.body, {
    model: "rm-7b",
    messages: [
      { role: "user", content: "Write about rain." },
      { role: "assistant", content: "Rain falls on the town." },
    ],
  });
});

test("a failed score is null and counted; the pairwise verdict fails instead of scoring 0", async () => {
  const scorer = new VllmPoolingScorer({ baseUrl: url, model: "rm-7b" });
  assert.equal(await scorer.score("p", "boom"), null);
  assert.equal(scorer.failures, 1);
  assert.match(scorer.lastError!, /HTTP 500/);
  const judge = new ScalarRewardJudge(scorer.name, (p, r) => scorer.score(p, r));
  const failed = await judge.compare("p", "two words", "boom");
  assert.equal(failed.outcome, "failed");
  assert.equal(failed.scoreA, null);
  const ok = await judge.compare("p", "one", "three words here");
  assert.equal(ok.outcome, "b");
  assert.equal(ok.scoreB, 3);
});
