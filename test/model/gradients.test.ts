// The backward pass against central finite differences, in float64, on every tensor kind.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DecoderModel } from "../../src/model/decoder.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";

function objective(model: DecoderModel, tokens: number[], targets: number[], w: number[]): number {
  const { logprobs } = model.forward(tokens, targets, false);
  return logprobs.reduce((s, lp, t) => s + w[t] * lp, 0);
}

const variants = [
  { name: "qwen3, untied head", over: { tieWordEmbeddings: false } },
  { name: "qwen3, tied head", over: { tieWordEmbeddings: true } },
  { name: "qwen2 (q/k/v biases, no q/k norm)", over: { arch: "qwen2" as const, attentionBias: true } },
  { name: "llama (no biases, no q/k norm)", over: { arch: "llama" as const } },
];
for (const [k, variant] of variants.entries()) {
  const tied = k === 1;
  describe(`gradients (${variant.name}, grouped-query attention)`, () => {
    test("match central finite differences on every tensor kind", () => {
      const cfg = tinyConfig(variant.over);
      const model = randomModel(cfg, tied ? 11 : 7);
      const T = 9;
      const tokens = randomTokens(T, cfg.vocabSize, 3);
      // Next-token targets with one unscored position, and arbitrary per-position weights (as an RL loss has).
      const targets = tokens.slice(1).concat([-1]);
      targets[4] = -1;
      const r = mulberry32(5);
      const w = Array.from({ length: T }, () => r() * 2 - 1);

      model.zeroGrad();
      model.forward(tokens, targets);
      model.backward(w);
      const grads = model.grads!;

      const kinds = new Map<string, string>();
      for (const s of model.params.specs) kinds.set(s.name.replace(/\.\d+\./, ".N."), s.name);
      const h = 1e-6;
      let checked = 0;
      for (const [kind, name] of kinds) {
        const p = model.params.get(name);
        const g = grads.get(name);
        // A few entries per tensor, including the largest-gradient one so that none is trivially zero.
        let argmax = 0;
        for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[argmax])) argmax = i;
        const picks = [argmax, Math.floor(r() * p.length), Math.floor(r() * p.length)];
        for (const i of picks) {
          const orig = p[i];
          p[i] = orig + h;
          const up = objective(model, tokens, targets, w);
          p[i] = orig - h;
          const down = objective(model, tokens, targets, w);
          p[i] = orig;
          const fd = (up - down) / (2 * h);
          const err = Math.abs(fd - g[i]) / Math.max(1e-6, Math.abs(fd) + Math.abs(g[i]));
          assert.ok(err <= 1e-3, `${kind}[${i}]: analytic ${g[i]} vs finite difference ${fd} (rel ${err})`);
          checked++;
        }
        assert.ok(Math.abs(g[argmax]) > 1e-6, `${kind} has no gradient at all`);
      }
      assert.equal(checked, kinds.size * 3);
    });
  });
}
