// The GenRM on a local GGUF: even a random tiny model ends every reply with a parseable
// \boxed{x, y}, because the final line is generated under a grammar.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
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
