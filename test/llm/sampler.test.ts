// The llama.cpp sampler: seeded reproducibility, stop tokens, and weight sync (after a reload,
// samples come from the new weights: greedy samples equal our own greedy decoding of them).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { LlamaSampler } from "../../src/llm/llama-sampler.ts";
import { exportGguf } from "../../src/model/checkpoint.ts";
import type { DecoderModel } from "../../src/model/decoder.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { sampleGroups } from "../../src/rl/rollouts.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-sampler-"));
const bpe = trainBpe(["a quiet lamp by the river", "the river and the lamp"], 280);
const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
const cfg = tinyConfig({ vocabSize: tok.vocabSize, tieWordEmbeddings: false });

function greedy(model: DecoderModel, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  const V = cfg.vocabSize;
  for (let i = 0; i < n; i++) {
    const logits = model.logits(seq);
    const row = logits.subarray((seq.length - 1) * V, seq.length * V);
    let best = 0;
    for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
    seq.push(best);
  }
  return seq.slice(prompt.length);
}

describe("LlamaSampler", () => {
  const sampler = new LlamaSampler();
  after(() => sampler.close());
  const prompt = tok.encode(tok.applyChatTemplate([{ role: "user", content: "the lamp" }], true));

  test("seeded samples are reproducible and differ across seeds", async () => {
    const m = randomModel(cfg, 1, "f32", 0.3);
    writeFileSync(join(dir, "a.gguf"), exportGguf(m, tok));
    await sampler.load(join(dir, "a.gguf"));
    const opts = { n: 3, temperature: 1, topP: 1, maxTokens: 12, seed: 7, stopTokens: [] };
    const x = await sampler.sample(prompt, opts);
    const y = await sampler.sample(prompt, opts);
    assert.deepEqual(x, y);
    assert.notDeepEqual(x[0].tokens, x[1].tokens);
    assert.ok(x.every((s) => s.finishReason === "length" && s.tokens.length === 12));
  });

  test("a stop token ends a sample and is kept in its tokens", async () => {
    const m = randomModel(cfg, 1, "f32", 0.3);
    writeFileSync(join(dir, "b.gguf"), exportGguf(m, tok));
    await sampler.load(join(dir, "b.gguf"));
    const first = (
      await sampler.sample(prompt, { n: 1, temperature: 0, topP: 1, maxTokens: 5, seed: 1, stopTokens: [] })
    )[0];
    const stop = first.tokens[2];
    const s = (
      await sampler.sample(prompt, {
        n: 1,
        temperature: 0,
        topP: 1,
        maxTokens: 5,
        seed: 1,
        stopTokens: [stop],
      })
    )[0];
    assert.equal(s.finishReason, "stop");
    assert.equal(s.tokens.at(-1), stop);
    assert.ok(s.tokens.length <= 3);
  });

  test("after a weight sync, greedy samples equal our greedy decoding of the new weights", async () => {
    const before = randomModel(cfg, 2, "f32", 0.4);
    const afterModel = randomModel(cfg, 3, "f32", 0.4);
    writeFileSync(join(dir, "c.gguf"), exportGguf(before, tok));
    await sampler.load(join(dir, "c.gguf"));
    const opts = { n: 1, temperature: 0, topP: 1, maxTokens: 10, seed: 1, stopTokens: [] };
    const s1 = (await sampler.sample(prompt, opts))[0].tokens;
    assert.deepEqual(s1, greedy(before, prompt, 10));
    writeFileSync(join(dir, "c.gguf"), exportGguf(afterModel, tok));
    await sampler.load(join(dir, "c.gguf"));
    const s2 = (await sampler.sample(prompt, opts))[0].tokens;
    assert.deepEqual(s2, greedy(afterModel, prompt, 10));
    assert.notDeepEqual(s1, s2);
  });
});

describe("LlamaSampler, samples side by side (rollout.sampler_parallel)", () => {
  const prompt = tok.encode(tok.applyChatTemplate([{ role: "user", content: "the lamp" }], true));

  test("each parallel sample decodes its own prompt: greedy samples equal our greedy decoding", async () => {
    // 5 samples with 3 sequences: a full batch of 3 and a batch of 2, every one from the prompt.
    const m = randomModel(cfg, 4, "f32", 0.4);
    writeFileSync(join(dir, "p.gguf"), exportGguf(m, tok));
    const parallel = new LlamaSampler(512, 1, 3);
    await parallel.load(join(dir, "p.gguf"));
    const xs = await parallel.sample(prompt, {
      n: 5,
      temperature: 0,
      topP: 1,
      maxTokens: 10,
      seed: 1,
      stopTokens: [],
    });
    const want = greedy(m, prompt, 10);
    assert.equal(xs.length, 5);
    for (const x of xs) assert.deepEqual(x.tokens, want);

    // sampled: repeatable with its seeds, different across samples, stop tokens kept
    const opts = { n: 5, temperature: 1, topP: 1, maxTokens: 12, seed: 7, stopTokens: [] };
    const a = await parallel.sample(prompt, opts);
    const b = await parallel.sample(prompt, opts);
    assert.deepEqual(a, b);
    assert.equal(new Set(a.map((s) => s.tokens.join(","))).size, 5);
    const stop = a[0].tokens[3];
    const stopped = await parallel.sample(prompt, { ...opts, stopTokens: [stop] });
    assert.equal(stopped[0].finishReason, "stop");
    assert.equal(stopped[0].tokens.at(-1), stop);
    await parallel.close();
  });
});

describe("LlamaSampler, prompts in several contexts at once (rollout.sampler_concurrency)", () => {
  test("every prompt gets the samples one context gives it, in prompt order", async () => {
    const m = randomModel(cfg, 5, "f32", 0.4);
    writeFileSync(join(dir, "c.gguf"), exportGguf(m, tok));
    const prompts = ["the lamp", "a river", "quiet", "the river and", "lamp by"].map((p, i) => ({
      id: `p${i}`,
      prompt: p,
    }));
    const opts = { n: 3, temperature: 1, topP: 1, maxTokens: 12, seedFor: (g: number) => 100 + g };
    const run = async (concurrency: number) => {
      const s = new LlamaSampler(512, 1, 1, concurrency);
      await s.load(join(dir, "c.gguf"));
      // Count how many prompts are being sampled at the same moment.
      let inFlight = 0;
      let most = 0;
      const inner = s.sample.bind(s);
      s.sample = async (p, o) => {
        most = Math.max(most, ++inFlight);
        try {
          return await inner(p, o);
        } finally {
          inFlight--;
        }
      };
      const groups = await sampleGroups(s, tok, prompts, opts);
      await s.close();
      return {
        texts: groups.map((g) => g.map((r) => r.responseTokens)),
        ids: groups.map((g) => g[0].group),
        most,
      };
    };
    const one = await run(1);
    const three = await run(3);
    assert.deepEqual(three.texts, one.texts);
    assert.deepEqual(three.ids, [0, 1, 2, 3, 4]);
    assert.equal(
      new Set(one.texts.map((g) => g.join("|"))).size,
      prompts.length,
      "prompts give different samples",
    );
    // sampleGroups hands the sampler every prompt at once; the sampler's contexts bound the work.
    assert.equal(three.most, prompts.length);
  });
});
