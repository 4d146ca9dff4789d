// The plausibility principle: tokens below the threshold under a frozen model cost the response,
// and the rule judge weighs it beside its own principles.
import assert from "node:assert/strict";
import { test } from "node:test";
import { plausibilityCheck } from "../../src/judge/plausibility.ts";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

const bpe = trainBpe(["boats rest in the harbour", "gulls circle over the pier"], 300);
const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
const model = randomModel(tinyConfig({ vocabSize: tok.vocabSize, eosTokenId: tok.eosId }), 4, "f32", 0.5);
const PROMPT = "Write a note about the harbour.";
const TEXT = "boats rest in the harbour";

/** Log-probabilities of the response tokens and the end-of-turn token, computed here directly. */
function logprobs(): number[] {
  const p = tok.encode(tok.applyChatTemplate([{ role: "user", content: PROMPT }], true));
  const r = tok.encode(TEXT).concat([tok.eosId!]);
  const full = p.concat(r);
  const out: number[] = [];
  for (let t = p.length - 1; t < full.length - 1; t++) {
    const logits = model.logits(full.slice(0, t + 1));
    const V = tok.vocabSize;
    const row = Array.from(logits.subarray(t * V, (t + 1) * V));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
    out.push(row[full[t + 1]] - lse);
  }
  return out;
}

test("each token below the threshold costs `penalty`", async () => {
  const lp = logprobs().sort((a, b) => a - b);
  const threshold = (lp[1] + lp[2]) / 2; // exactly two tokens below
  const check = plausibilityCheck(model, tok, { weight: 3, threshold, penalty: 0.4 });
  const r = await check.check(PROMPT, TEXT);
  assert.ok(Math.abs(r.score - 0.2) < 1e-9, r.detail);
  assert.match(r.detail, /^2 of /);
  const lenient = plausibilityCheck(model, tok, { weight: 3, threshold: lp[0] - 1, penalty: 0.4 });
  assert.equal((await lenient.check(PROMPT, TEXT)).score, 1);
});

test("the rule judge adds the extra principle to its score and names it", async () => {
  const lp = logprobs().sort((a, b) => a - b);
  const strict = new RuleJudge([
    plausibilityCheck(model, tok, { weight: 3, threshold: lp[lp.length - 1] + 1, penalty: 1 }),
  ]);
  const plain = new RuleJudge();
  assert.equal(strict.name, "rules:wz-rules-v2+plausibility");
  // every token implausible: the principle scores 0 with weight 3 and pulls the score below the plain judge's
  assert.ok((await strict.scoreAsync(PROMPT, TEXT)) < plain.score(PROMPT, TEXT));
  const v = await strict.compare(PROMPT, TEXT, TEXT);
  assert.equal(v.outcome, "tie");
  assert.throws(() => strict.score(PROMPT, TEXT), /scoreAsync/);
});
