// Batched greedy decoding against the model's own full forward pass: every token it chooses must
// be the argmax of the logits a full forward computes over the same tokens (an independent path:
// no cache, the layers' attention, every position at once), whatever the batch and its ragged
// prompts; one request alone chooses what it chooses in a batch; constraints bind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeGreedy } from "../../src/model/batch-decode.ts";
import type { DecoderModel } from "../../src/model/decoder.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

function argmaxCheck(
  model: DecoderModel,
  prompt: number[],
  chosen: number[],
): { agree: number; worstGap: number } {
  const V = model.cfg.vocabSize;
  const logits = model.logits([...prompt, ...chosen]);
  let agree = 0;
  let worstGap = 0;
  chosen.forEach((tok, j) => {
    const row = logits.subarray((prompt.length - 1 + j) * V, (prompt.length + j) * V);
    let best = 0;
    for (let t = 1; t < V; t++) if (row[t] > row[best]) best = t;
    if (best === tok) agree++;
    else worstGap = Math.max(worstGap, row[best] - row[tok]);
  });
  return { agree, worstGap };
}

const prompts = (n: number, V: number, seed: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: 1 + ((i * 7) % 13) }, () => 1 + Math.floor(r() * (V - 1))),
  );
};

for (const arch of ["qwen3", "qwen2"] as const)
  test(`batched greedy decoding chooses a full forward's argmax at every step (ragged prompts, ${arch})`, () => {
    // qwen3: q/k norm; qwen2: biases on q, k and v
    const cfg = tinyConfig({ vocabSize: 41, arch, attentionBias: arch === "qwen2" });
    const model = randomModel(cfg, 3, "f32", 0.5);
    const ps = prompts(9, cfg.vocabSize, 4);
    const out = decodeGreedy(
      model,
      ps.map((prompt, i) => ({ prompt, maxTokens: 5 + i })),
      null,
    );
    let total = 0;
    let agree = 0;
    out.forEach((chosen, i) => {
      assert.equal(chosen.length, 5 + i, "no eos given: every request runs to its limit");
      const c = argmaxCheck(model, ps[i], chosen);
      total += chosen.length;
      agree += c.agree;
      // a different choice is a rounding-level tie, never a wrong cache or position
      assert.ok(c.worstGap < 1e-4, `request ${i}: gap ${c.worstGap}`);
    });
    assert.ok(agree / total > 0.97, `${agree}/${total}`);
  });

test("a request decoded alone chooses what it chooses in a batch; eos, limits and constraints bind", () => {
  const cfg = tinyConfig({ vocabSize: 41 });
  const model = randomModel(cfg, 8, "f32", 0.5);
  const ps = prompts(6, cfg.vocabSize, 9);
  const batch = decodeGreedy(
    model,
    ps.map((prompt) => ({ prompt, maxTokens: 8 })),
    null,
  );
  ps.forEach((prompt, i) => {
    const alone = decodeGreedy(model, [{ prompt, maxTokens: 8 }], null)[0];
    assert.deepEqual(alone, batch[i], `request ${i}`);
  });
  // eos: the first time the model would choose it, the request ends (eos not included)
  const eos = batch[0][3];
  const stopped = decodeGreedy(model, [{ prompt: ps[0], maxTokens: 8 }], eos)[0];
  assert.deepEqual(stopped, batch[0].slice(0, batch[0].indexOf(eos)));
  // allowed: only even tokens; done: stop after three
  const constrained = decodeGreedy(
    model,
    [{ prompt: ps[1], maxTokens: 8, allowed: () => (t) => t % 2 === 0, done: (c) => c.length === 3 }],
    null,
  )[0];
  assert.equal(constrained.length, 3);
  assert.ok(constrained.every((t) => t % 2 === 0));
  // the best allowed token, by a full forward's logits
  const V = cfg.vocabSize;
  const row = model.logits(ps[1]).subarray((ps[1].length - 1) * V, ps[1].length * V);
  let best = 0;
  for (let t = 2; t < V; t += 2) if (row[t] > row[best]) best = t;
  assert.equal(constrained[0], best);
  assert.deepEqual(
    decodeGreedy(
      model,
      [
        { prompt: [], maxTokens: 4 },
        { prompt: ps[2], maxTokens: 0 },
      ],
      null,
    ),
    [[], []],
  );
});
