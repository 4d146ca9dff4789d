// The GenRM on a local GGUF: even a random tiny model ends every reply with a parseable
// \boxed{x, y}, because the final line is generated under a grammar.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GenRMJudge } from "../../src/judge/genrm.ts";
import { parseVerdict } from "../../src/judge/verdict-parser.ts";
import { LlamaCppChatBackend } from "../../src/llm/llama-judge-backend.ts";
import { exportGguf } from "../../src/model/checkpoint.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

test("a random tiny GGUF judge always emits a parseable final line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-ljudge-"));
  const bpe = trainBpe(["Response 1 is better. Scores follow.", "criteria critique scores"], 300);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const path = join(dir, "judge.gguf");
  writeFileSync(path, exportGguf(randomModel(tinyConfig({ vocabSize: tok.vocabSize }), 5, "f32", 0.3), tok));
  const backend = new LlamaCppChatBackend(path, { contextSize: 4096 });
  const judge = new GenRMJudge({
    backend,
    votes: 2,
    sampling: { temperature: 1, top_p: 1, max_tokens: 64, seed: 3 },
    parseRetries: 0,
  });
  const v = await judge.compare("Write a haiku about rain.", "Rain on tin roofs sings.", "Rain.");
  assert.equal(v.conditions.length, 4);
  for (const c of v.conditions) {
    assert.equal(c.error, null, `${c.error}: ${c.errorDetail} ${c.raw}`);
    assert.ok(parseVerdict(c.raw!).ok);
    assert.match(c.raw!, /\\boxed\{(10|\d(\.\d)?), (10|\d(\.\d)?)\}$/);
  }
  assert.notEqual(v.outcome, "failed");
  await backend.close();
});

test("a judge that writes its own well-formed final line keeps it (the grammar is only a fallback)", async () => {
  // A tiny model taught one reply; greedy decoding must return exactly that reply, box included.
  // (Before: the critique was cut at "\boxed" but the box's tokens stayed in the KV cache, so the
  // grammar's line continued from a duplicated prefix and wrote other scores.)
  const { pretrain } = await import("../../src/model/pretrain.ts");
  const { chatMessagesSequence } = await import("../../src/rl/data.ts");
  const reply = "1: fluent, on topic.\n2: not fluent.\n\\boxed{3, 7}";
  const user = { role: "user" as const, content: "Judge two responses.\nResponse 1: a\nResponse 2: b" };
  const bpe = trainBpe([reply, user.content], 300);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const model = randomModel(tinyConfig({ vocabSize: tok.vocabSize, eosTokenId: tok.eosId }), 2, "f32", 0.1);
  const seq = chatMessagesSequence(tok, [user, { role: "assistant", content: reply }]);
  pretrain(model, [seq.tokens], {
    steps: 150,
    batchSize: 1,
    lr: 0.01,
    seed: 1,
    lossStart: [seq.promptLength - 1],
  });
  const dir = mkdtempSync(join(tmpdir(), "wz-ljudge-"));
  const path = join(dir, "judge.gguf");
  writeFileSync(path, exportGguf(model, tok));
  const backend = new LlamaCppChatBackend(path, { contextSize: 512 });
  const r = await backend.chat({
    messages: [user],
    sampling: { temperature: 0, top_p: 1, max_tokens: 100, seed: 0 },
  });
  assert.ok(r.ok);
  assert.equal(r.text, reply);
  assert.ok(!r.cut);
  // Written once, by the judge: no grammar pass re-wrote the line after it (that costs tokens).
  assert.equal(r.usage?.completion_tokens, tok.encode(reply).length);

  // Too small a token limit: the critique is cut, the grammar still writes a final line, and the
  // condition says it was cut (counted per step as judge_cut_rate) and stays out of the cache.
  const cut = await backend.chat({
    messages: [user],
    sampling: { temperature: 0, top_p: 1, max_tokens: 30, seed: 0 },
  });
  assert.ok(cut.ok && cut.cut, JSON.stringify(cut));
  assert.match(cut.text, /\\boxed\{(10|\d(\.\d)?), (10|\d(\.\d)?)\}$/);
  assert.ok(cut.text.length < reply.length);
  // The GenRM keeps the flag on the condition and leaves the reply out of its cache.
  const stored: string[] = [];
  const judge = new GenRMJudge({
    backend: { model: "cut", chat: async () => cut } as never,
    parseRetries: 0,
    cache: { get: () => undefined, set: (k) => void stored.push(k) },
  });
  const v = await judge.compare("a", "b", "c");
  assert.ok(v.conditions.every((c) => c.error === null && c.cut === true));
  assert.deepEqual(stored, []);
  const { cutRate } = await import("../../src/rl/metrics.ts");
  assert.equal(cutRate([{ comparisons: [{ verdict: v }] }] as never), 1);
  await backend.close();
});

test("two different judge files of one name never share cached replies; a copy of one does", () => {
  // The backend's model name keys the reply cache. It was the file's base name, so a judge
  // retrained in place (or the judge.gguf of another run) got the previous judge's cached verdicts.
  const root = mkdtempSync(join(tmpdir(), "wz-ljudge-name-"));
  const make = (sub: string, last: number) => {
    mkdirSync(join(root, sub));
    const bytes = Buffer.alloc(3 << 20, 7);
    bytes[bytes.length - 1] = last; // differs only in the last tensor's bytes, as a retrain does
    writeFileSync(join(root, sub, "judge.gguf"), bytes);
    return new LlamaCppChatBackend(join(root, sub, "judge.gguf")).model;
  };
  const first = make("run-1", 1);
  const retrained = make("run-2", 2);
  const copy = make("run-3", 1);
  assert.notEqual(first, retrained);
  assert.equal(first, copy);
  assert.match(first, /^gguf:judge\.gguf@[0-9a-f]{12}$/);
  assert.notEqual(
    new LlamaCppChatBackend(join(root, "run-1", "judge.gguf"), { grammar: false }).model,
    first,
  );
});

test("parallel: requests share the context side by side, each reply complete, and the judge is named apart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-ljudge-"));
  const bpe = trainBpe(["Response 1 is better. Scores follow.", "criteria critique scores"], 300);
  const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const path = join(dir, "judge.gguf");
  writeFileSync(path, exportGguf(randomModel(tinyConfig({ vocabSize: tok.vocabSize }), 5, "f32", 0.3), tok));
  const one = new LlamaCppChatBackend(path, { contextSize: 1024 });
  const four = new LlamaCppChatBackend(path, { contextSize: 1024, parallel: 4 });
  assert.equal(four.model, `${one.model}:p4`, "batched arithmetic rounds differently: another cache name");
  const request = (i: number) => ({
    messages: [{ role: "user" as const, content: `Judge these ${i}.` }],
    sampling: { temperature: 0, top_p: 1, max_tokens: 48, seed: 0 },
  });
  // Ten requests through four sequences: none fails for want of a sequence, and they overlap (the
  // sum of their latencies exceeds the wall time; one at a time, it cannot).
  for (const [backend, overlaps] of [
    [four, true],
    [one, false],
  ] as const) {
    const t0 = performance.now();
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => backend.chat(request(i))));
    const wall = performance.now() - t0;
    for (const r of replies) assert.ok(r.ok, r.ok ? "" : `${r.error}: ${r.detail}`);
    const summed = replies.reduce((s, r) => s + r.latencyMs, 0);
    assert.equal(
      summed > 1.5 * wall,
      overlaps,
      `latencies ${summed.toFixed(0)} ms over ${wall.toFixed(0)} ms`,
    );
    await backend.close();
  }
});
