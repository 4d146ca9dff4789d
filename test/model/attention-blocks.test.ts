// Blocked causal attention (query rows in blocks of ATTENTION_BLOCK, products cut at the block's
// last position) against attention written out directly here: full T x T scores, mask, softmax,
// and the backward by its textbook formulas, all in float64. T spans several blocks and ends in a
// partial one, so a block boundary or a cut product in the wrong place shows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { referenceKernel } from "../../src/model/kernels/reference.ts";
import { ATTENTION_BLOCK, attentionBackward, attentionForward } from "../../src/model/layers.ts";
import { mulberry32 } from "../../src/model/random.ts";

const T = 2 * ATTENTION_BLOCK + 22;
const H = 4;
const KVH = 2;
const D = 8;

function random(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
}

/** Direct attention: returns out [T, H, D] and probabilities [H, T, T]. */
function naiveForward(q: Float64Array, k: Float64Array, v: Float64Array) {
  const out = new Float64Array(T * H * D);
  const P = new Float64Array(H * T * T);
  const scale = 1 / Math.sqrt(D);
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / (H / KVH));
    for (let t = 0; t < T; t++) {
      const s = new Float64Array(T).fill(Number.NEGATIVE_INFINITY);
      for (let j = 0; j <= t; j++) {
        let dot = 0;
        for (let i = 0; i < D; i++) dot += q[(t * H + h) * D + i] * k[(j * KVH + kh) * D + i];
        s[j] = dot * scale;
      }
      const max = Math.max(...s);
      let sum = 0;
      for (let j = 0; j <= t; j++) sum += Math.exp(s[j] - max);
      for (let j = 0; j <= t; j++) P[(h * T + t) * T + j] = Math.exp(s[j] - max) / sum;
      for (let j = 0; j <= t; j++)
        for (let i = 0; i < D; i++)
          out[(t * H + h) * D + i] += P[(h * T + t) * T + j] * v[(j * KVH + kh) * D + i];
    }
  }
  return { out, P };
}

/** dq, dk, dv of sum(out * g), by the chain rule through softmax written per element. */
function naiveBackward(q: Float64Array, k: Float64Array, v: Float64Array, P: Float64Array, g: Float64Array) {
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const scale = 1 / Math.sqrt(D);
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / (H / KVH));
    for (let t = 0; t < T; t++) {
      const p = (j: number) => P[(h * T + t) * T + j];
      const dp = new Float64Array(t + 1);
      for (let j = 0; j <= t; j++)
        for (let i = 0; i < D; i++) {
          dp[j] += g[(t * H + h) * D + i] * v[(j * KVH + kh) * D + i];
          dv[(j * KVH + kh) * D + i] += p(j) * g[(t * H + h) * D + i];
        }
      let pdp = 0;
      for (let j = 0; j <= t; j++) pdp += p(j) * dp[j];
      for (let j = 0; j <= t; j++) {
        const ds = p(j) * (dp[j] - pdp) * scale;
        for (let i = 0; i < D; i++) {
          dq[(t * H + h) * D + i] += ds * k[(j * KVH + kh) * D + i];
          dk[(j * KVH + kh) * D + i] += ds * q[(t * H + h) * D + i];
        }
      }
    }
  }
  return { dq, dk, dv };
}

const close = (a: Float64Array, b: Float64Array, what: string) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-12, `${what}: worst difference ${worst}`);
};

test(`blocked causal attention equals direct attention over ${T} positions (blocks of ${ATTENTION_BLOCK})`, () => {
  const q = random(T * H * D, 1);
  const k = random(T * KVH * D, 2);
  const v = random(T * KVH * D, 3);
  const g = random(T * H * D, 4);
  const want = naiveForward(q, k, v);
  const out = new Float64Array(T * H * D);
  // stale values in the probabilities must not survive the forward pass
  const att = new Float64Array(H * T * T).fill(7);
  attentionForward(out, att, q, k, v, T, H, KVH, D, referenceKernel);
  close(out, want.out, "out");
  close(att, want.P, "probabilities (zero above the diagonal)");

  const grads = naiveBackward(q, k, v, want.P, g);
  // the layer accumulates: start from ones and take them off
  const dq = new Float64Array(q.length).fill(1);
  const dk = new Float64Array(k.length).fill(1);
  const dv = new Float64Array(v.length).fill(1);
  attentionBackward(dq, dk, dv, g, att, q, k, v, T, H, KVH, D, referenceKernel);
  close(
    dq.map((x) => x - 1),
    grads.dq,
    "dq",
  );
  close(
    dk.map((x) => x - 1),
    grads.dk,
    "dk",
  );
  close(
    dv.map((x) => x - 1),
    grads.dv,
    "dv",
  );
});
