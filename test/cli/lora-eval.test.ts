// A LoRA run's final evaluation samples the policy as its sampler saw it: the frozen base GGUF
// with the final adapter (side A) against the base alone (side B). Checked against our own engine:
// at a near-zero temperature, side A's texts are the greedy decoding of the merged final model and
// side B's of the initial model.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { HeadToHeadResult } from "../../src/eval/head-to-head.ts";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import type { DecoderModel } from "../../src/model/decoder.ts";
import type { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz } from "../helpers/cli.ts";

function greedyText(model: DecoderModel, tok: TextTokenizer, prompt: string, maxTokens: number): string {
  const seq = tok.encode(tok.applyChatTemplate([{ role: "user", content: prompt }], true));
  const start = seq.length;
  const V = model.cfg.vocabSize;
  for (let i = 0; i < maxTokens; i++) {
    const logits = model.logits(seq);
    const row = logits.subarray((seq.length - 1) * V, seq.length * V);
    let best = 0;
    for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
    if (best === tok.eosId) break;
    seq.push(best);
  }
  return tok.decode(seq.slice(start)).trim();
}

test("a LoRA policy is evaluated as base + final adapter, against the base", {
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-lora-eval-"));
  writeFileSync(
    join(dir, "cfg.yaml"),
    `seed: 5
model:
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 40, batch_size: 8}
  lora: {rank: 4, alpha: 16}
data: {train_count: 8, eval_count: 3}
rollout: {group_size: 4, prompts_per_step: 4, max_tokens: 12}
train: {steps: 3, lr: 0.05}
eval: {samples_per_prompt: 1, temperature: 0.0001, monitor_every: 0}
`,
  );
  const run = join(dir, "run");
  const r = await runWz(["train", join(dir, "cfg.yaml"), "--output", run]);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.ok(existsSync(join(run, "final-adapter.gguf")));
  const store = new RunStore(join(run, "run.sqlite"));
  const h2h = store.getEval<HeadToHeadResult>("final_vs_initial")!;
  store.close();
  const final = loadModelFolder(join(run, "final"));
  const initial = loadModelFolder(join(run, "checkpoints", "initial"));
  const tok = final.tokenizer!;
  let differ = 0;
  for (const e of h2h.examples) {
    assert.equal(e.a, greedyText(final.model, tok, e.prompt, 12), `final policy on ${e.prompt}`);
    assert.equal(e.b, greedyText(initial.model, tok, e.prompt, 12), `initial policy on ${e.prompt}`);
    if (e.a !== e.b) differ++;
  }
  // the adapter changed something, so side A really carries it
  assert.ok(differ > 0, JSON.stringify(h2h.examples));
});
