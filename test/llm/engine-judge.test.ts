// The GenRM on a local GGUF through our own engine: the replies llama.cpp gives (a taught reply
// word for word, box included), a parseable final line from any model (the grammar), a step's
// requests in one batch, and a clear refusal of sampling it cannot do.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GenRMJudge } from "../../src/judge/genrm.ts";
import { parseVerdict } from "../../src/judge/verdict-parser.ts";
import { EngineChatBackend } from "../../src/llm/engine-judge-backend.ts";
import { LlamaCppChatBackend } from "../../src/llm/llama-judge-backend.ts";
import { exportGguf } from "../../src/model/checkpoint.ts";
import { pretrain } from "../../src/model/pretrain.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { chatMessagesSequence } from "../../src/rl/data.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

const greedy = (max_tokens: number) => ({ temperature: 0, top_p: 1, max_tokens, seed: 0 });

test("the engine judge writes what llama.cpp writes: a taught reply, box and all, and a cut one finished by the grammar", async () => {
  const replies = [
    "1: fluent, on topic.\n2: not fluent.\n\\boxed{3, 7}",
    "1: off topic.\n2: all met.\n\\boxed{4, 9.5}",
  ];
  const users = [
    "Judge two responses.\nResponse 1: a\nResponse 2: b",
    "Judge two responses.\nResponse 1: c\nResponse 2: d",
  ].map((content) => ({ role: "user" as const, content }));
  const bpe = trainBpe([...replies, ...users.map((u) => u.content)], 300);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const model = randomModel(tinyConfig({ vocabSize: tok.vocabSize, eosTokenId: tok.eosId }), 2, "f32", 0.1);
  const seqs = users.map((u, i) =>
    chatMessagesSequence(tok, [u, { role: "assistant", content: replies[i] }]),
  );
  pretrain(
    model,
    seqs.map((s) => s.tokens),
    { steps: 250, batchSize: 2, lr: 0.01, seed: 1, lossStart: seqs.map((s) => s.promptLength - 1) },
  );
  const path = join(mkdtempSync(join(tmpdir(), "wz-ejudge-")), "judge.gguf");
  writeFileSync(path, exportGguf(model, tok));
  const engine = new EngineChatBackend(path);
  const llama = new LlamaCppChatBackend(path, { contextSize: 512 });
  // both requests at once: one batch
  const ours = await Promise.all(users.map((u) => engine.chat({ messages: [u], sampling: greedy(100) })));
  for (const [i, u] of users.entries()) {
    const theirs = await llama.chat({ messages: [u], sampling: greedy(100) });
    assert.ok(ours[i].ok && theirs.ok);
    if (!ours[i].ok || !theirs.ok) continue;
    assert.equal(ours[i].text, replies[i]);
    assert.equal(ours[i].text, theirs.text);
    assert.equal(ours[i].usage?.completion_tokens, theirs.usage?.completion_tokens);
    // cut short: the grammar writes the final line in both, from the same kept critique
    const [a, b] = [
      await engine.chat({ messages: [u], sampling: greedy(30) }),
      await llama.chat({ messages: [u], sampling: greedy(30) }),
    ];
    assert.ok(a.ok && b.ok && a.cut && b.cut, JSON.stringify([a, b]));
    if (a.ok && b.ok) {
      assert.match(a.text, /\n\\boxed\{(10|\d(\.\d)?), (10|\d(\.\d)?)\}$/);
      assert.equal(a.text.split("\\boxed")[0], b.text.split("\\boxed")[0], "the same critique kept");
    }
  }
  await llama.close();
  assert.notEqual(engine.model, llama.model, "replies of one are never served from the other's cache");
});

test("the engine judge ends every reply of a random model with a parseable final line, votes refused", async () => {
  const bpe = trainBpe(["Response 1 is better. Scores follow.", "criteria critique scores"], 300);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const path = join(mkdtempSync(join(tmpdir(), "wz-ejudge-")), "judge.gguf");
  writeFileSync(path, exportGguf(randomModel(tinyConfig({ vocabSize: tok.vocabSize }), 5, "f32", 0.3), tok));
  const backend = new EngineChatBackend(path);
  const judge = new GenRMJudge({ backend, sampling: greedy(48), parseRetries: 0, template: "compact" });
  const verdicts = await Promise.all(
    ["Rain.", "Rain on tin roofs sings.", "Storm clouds gather low."].map((r) =>
      judge.compare("Write a haiku about rain.", r, "Rain falls."),
    ),
  );
  for (const v of verdicts)
    for (const c of v.conditions) {
      assert.equal(c.error, null, `${c.error}: ${c.errorDetail}`);
      assert.ok(parseVerdict(c.raw!).ok, c.raw!);
    }
  const sampled = await backend.chat({
    messages: [{ role: "user", content: "x" }],
    sampling: { temperature: 0.6, top_p: 1, max_tokens: 8, seed: 1 },
  });
  assert.ok(!sampled.ok);
  if (!sampled.ok) assert.match(sampled.detail, /decodes greedily: temperature 0\.6 is not supported/);
});
