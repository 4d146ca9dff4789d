// Greedy decoding of many sequences at once by our own engine. Every step feeds each live
// sequence its next token (a prompt token while it is being read, then the token it chose) at its
// own position, through one matmul per weight over all of them, with a key/value cache per
// sequence. At a small model's size llama.cpp's cost is per token evaluated, not per FLOP
// (bench:genrm: about 1 % of the FLOP ceiling, flat from 8 to 32 sequences side by side); here the
// weights are read once a step for every sequence, and the attention over each cache is a plain
// loop. Reads top to bottom as forward() in decoder.ts does; no backward, no activations kept.

import { hasQkNorm } from "./config.ts";
import type { DecoderModel } from "./decoder.ts";
import { ropeForward, ropeTables } from "./layers.ts";
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from "./params.ts";

export interface DecodeRequest {
  prompt: number[];
  maxTokens: number;
  /**
   * The tokens allowed next, given those chosen so far (a constrained final line); null: any.
   * With a constraint the best allowed token is chosen, whatever the model prefers.
   */
  allowed?: (chosen: number[]) => ((token: number) => boolean) | null;
  /** True when the chosen tokens are complete (checked after each token). */
  done?: (chosen: number[]) => boolean;
}

/** The tokens each request chose, greedily, stopping at eos (not included), maxTokens or done(). */
export function decodeGreedy(model: DecoderModel, requests: DecodeRequest[], eos: number | null): number[][] {
  const cfg = model.cfg;
  const { hiddenSize: C, numHeads: H, numKVHeads: KVH, headDim: D, intermediateSize: F, vocabSize: V } = cfg;
  const P = model.params;
  const B = requests.length;
  const maxLen = Math.max(1, ...requests.map((r) => r.prompt.length + r.maxTokens));
  const rope = ropeTables(maxLen, D, cfg.ropeTheta);
  const half = D / 2;
  const qkNorm = hasQkNorm(cfg);
  const names = Array.from({ length: cfg.numLayers }, (_, l) => layerNames(l));
  // one cache per layer: [B, KVH, maxLen, D] keys and values (a head's keys contiguous, for matmul)
  const kCache = names.map(() => new Float32Array(B * maxLen * KVH * D));
  const vCache = names.map(() => new Float32Array(B * maxLen * KVH * D));
  const chosen: number[][] = requests.map(() => []);
  const pos = new Int32Array(B);
  // The prompts but their last token in one packed pass: its keys and values fill the caches (big
  // products instead of a step per prompt token); the steps start at each prompt's last token.
  // Not on a kernel that keeps the model's buffers in its own memory (wasm): that memory never
  // reuses space, and a packed pass of another size each step would grow it until it failed; there
  // the prompts are read a token a step like the rest.
  const packed = !model.kernel.allocate;
  const reading = packed
    ? requests.flatMap((r, b) => (r.prompt.length > 1 && r.maxTokens > 0 ? [b] : []))
    : [];
  if (reading.length) {
    const kv = model.keysAndValues(reading.map((b) => requests[b].prompt.slice(0, -1)));
    let row = 0;
    for (const b of reading) {
      const n = requests[b].prompt.length - 1;
      for (let l = 0; l < cfg.numLayers; l++)
        for (let t = 0; t < n; t++)
          for (let g = 0; g < KVH; g++) {
            const from = ((row + t) * KVH + g) * D;
            const to = ((b * KVH + g) * maxLen + t) * D;
            kCache[l].set(kv[l].k.subarray(from, from + D), to);
            vCache[l].set(kv[l].v.subarray(from, from + D), to);
          }
      pos[b] = n;
      row += n;
    }
  }
  const live = requests
    .map((r, b) => (r.prompt.length > 0 && r.maxTokens > 0 ? b : -1))
    .filter((b) => b >= 0);
  const scale = 1 / Math.sqrt(D);
  // scratch for one row's scores: [heads of a key/value head, positions]
  const scores = new Float32Array((H / KVH) * maxLen);

  while (live.length > 0) {
    const M = live.length;
    // 1. the embedding of each live sequence's next token
    let x = new Float32Array(M * C);
    const embed = P.get(EMBED);
    live.forEach((b, m) => {
      const r = requests[b];
      const id = pos[b] < r.prompt.length ? r.prompt[pos[b]] : chosen[b][chosen[b].length - 1];
      x.set(embed.subarray(id * C, id * C + C), m * C);
    });
    for (let l = 0; l < cfg.numLayers; l++) {
      const n = names[l];
      // 2. attention: projections, q/k norm, rotation at each row's own position, the cache
      const ln1 = new Float32Array(M * C);
      rmsnorm(ln1, x, P.get(n.inputNorm), M, C, cfg.rmsNormEps);
      const q = new Float32Array(M * H * D);
      const k = new Float32Array(M * KVH * D);
      const v = new Float32Array(M * KVH * D);
      model.kernel.matmulNT(q, ln1, P.get(n.q), M, C, H * D, false);
      model.kernel.matmulNT(k, ln1, P.get(n.k), M, C, KVH * D, false);
      model.kernel.matmulNT(v, ln1, P.get(n.v), M, C, KVH * D, false);
      if (cfg.attentionBias) {
        addRows(q, P.get(n.qBias), M, H * D);
        addRows(k, P.get(n.kBias), M, KVH * D);
        addRows(v, P.get(n.vBias), M, KVH * D);
      }
      if (qkNorm) {
        rmsnorm(q, q.slice(), P.get(n.qNorm), M * H, D, cfg.rmsNormEps);
        rmsnorm(k, k.slice(), P.get(n.kNorm), M * KVH, D, cfg.rmsNormEps);
      }
      const atty = new Float32Array(M * H * D);
      live.forEach((b, m) => {
        const t = pos[b];
        const cos = rope.cos.subarray(t * half, (t + 1) * half);
        const sin = rope.sin.subarray(t * half, (t + 1) * half);
        ropeForward(q.subarray(m * H * D, (m + 1) * H * D), 1, H, D, cos, sin);
        ropeForward(k.subarray(m * KVH * D, (m + 1) * KVH * D), 1, KVH, D, cos, sin);
        for (let g = 0; g < KVH; g++) {
          const at = ((b * KVH + g) * maxLen + t) * D;
          kCache[l].set(k.subarray((m * KVH + g) * D, (m * KVH + g + 1) * D), at);
          vCache[l].set(v.subarray((m * KVH + g) * D, (m * KVH + g + 1) * D), at);
        }
        attendOne(model.kernel, atty, q, kCache[l], vCache[l], { m, b, t, H, KVH, D, maxLen, scale, scores });
      });
      const attnOut = new Float32Array(M * C);
      model.kernel.matmulNT(attnOut, atty, P.get(n.o), M, H * D, C, false);
      addInPlace(attnOut, x);
      // 3. the MLP block
      const ln2 = new Float32Array(M * C);
      rmsnorm(ln2, attnOut, P.get(n.postNorm), M, C, cfg.rmsNormEps);
      const gate = new Float32Array(M * F);
      const up = new Float32Array(M * F);
      model.kernel.matmulNT(gate, ln2, P.get(n.gate), M, C, F, false);
      model.kernel.matmulNT(up, ln2, P.get(n.up), M, C, F, false);
      const h = new Float32Array(M * F);
      for (let i = 0; i < M * F; i++) {
        const g = gate[i];
        h[i] = (g / (1 + Math.exp(-g))) * up[i];
      }
      const out = new Float32Array(M * C);
      model.kernel.matmulNT(out, h, P.get(n.down), M, F, C, false);
      addInPlace(out, attnOut);
      x = out;
    }
    // 4. the head, only for the rows whose next token is the model's to choose
    const choosing = live.flatMap((b, m) => (pos[b] + 1 >= requests[b].prompt.length ? [m] : []));
    const lnf = new Float32Array(choosing.length * C);
    choosing.forEach((m, j) => {
      lnf.set(x.subarray(m * C, (m + 1) * C), j * C);
    });
    rmsnorm(lnf, lnf.slice(), P.get(FINAL_NORM), choosing.length, C, cfg.rmsNormEps);
    const logits = new Float32Array(choosing.length * V);
    const head = P.get(cfg.tieWordEmbeddings ? EMBED : LM_HEAD);
    if (choosing.length) model.kernel.matmulNT(logits, lnf, head, choosing.length, C, V, false);
    const rowOf = new Map(choosing.map((m, j) => [m, j]));
    const still: number[] = [];
    live.forEach((b, m) => {
      const r = requests[b];
      pos[b]++;
      if (pos[b] < r.prompt.length) {
        still.push(b);
        return;
      }
      const j = rowOf.get(m)!;
      const ok = r.allowed?.(chosen[b]) ?? null;
      let best = -1;
      let bestLogit = Number.NEGATIVE_INFINITY;
      for (let t = 0; t < V; t++) {
        const z = logits[j * V + t];
        if (z > bestLogit && (!ok || ok(t))) {
          best = t;
          bestLogit = z;
        }
      }
      if (best < 0 || best === eos) return;
      chosen[b].push(best);
      if (chosen[b].length >= r.maxTokens || r.done?.(chosen[b])) return;
      still.push(b);
    });
    live.splice(0, live.length, ...still);
  }
  return chosen;
}

/** out = x / rms(x) * weight per row (a handful of rows a step: no call to the kernel's layers). */
function rmsnorm(
  out: Float32Array,
  inp: Float32Array,
  weight: Float32Array | Float64Array,
  N: number,
  C: number,
  eps: number,
): void {
  for (let i = 0; i < N; i++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[i * C + c] * inp[i * C + c];
    const r = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[i * C + c] = inp[i * C + c] * r * weight[c];
  }
}

/**
 * Row m's attention over its sequence's cache, positions 0..t, every head (grouped-query): for each
 * key/value head, the scores of its query heads against its keys and the weighted sum of its
 * values, as two products on the kernel; the softmax between them here.
 */
function attendOne(
  kernel: DecoderModel["kernel"],
  out: Float32Array,
  q: Float32Array,
  kc: Float32Array,
  vc: Float32Array,
  o: {
    m: number;
    b: number;
    t: number;
    H: number;
    KVH: number;
    D: number;
    maxLen: number;
    scale: number;
    scores: Float32Array;
  },
): void {
  const { m, b, t, H, KVH, D, maxLen, scale } = o;
  const group = H / KVH;
  const T = t + 1;
  const scores = o.scores.subarray(0, group * T);
  for (let g = 0; g < KVH; g++) {
    const heads = q.subarray((m * H + g * group) * D, (m * H + (g + 1) * group) * D);
    const keys = kc.subarray((b * KVH + g) * maxLen * D, ((b * KVH + g) * maxLen + T) * D);
    const values = vc.subarray((b * KVH + g) * maxLen * D, ((b * KVH + g) * maxLen + T) * D);
    kernel.matmulNT(scores, heads, keys, group, D, T, false);
    for (let h = 0; h < group; h++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < T; s++) max = Math.max(max, scores[h * T + s] * scale);
      let sum = 0;
      for (let s = 0; s < T; s++) {
        const e = Math.exp(scores[h * T + s] * scale - max);
        scores[h * T + s] = e;
        sum += e;
      }
      for (let s = 0; s < T; s++) scores[h * T + s] /= sum;
    }
    kernel.matmulNN(
      out.subarray((m * H + g * group) * D, (m * H + (g + 1) * group) * D),
      scores,
      values,
      group,
      T,
      D,
      false,
    );
  }
}

function addRows(x: Float32Array, bias: Float32Array | Float64Array, M: number, N: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) x[i * N + j] += bias[j];
}

function addInPlace(out: Float32Array, x: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] += x[i];
}
