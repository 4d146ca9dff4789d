// The Qwen3 layers as pairs of plain functions, forward next to backward (after llm.c).
// Shapes are in the argument names: N rows of width C, T positions, H heads of size D.
// Backward functions *accumulate* into their input gradients (residual streams add up).
import { wzExp } from "./exp.ts";
import type { ComputeBackend, FloatArray } from "./kernels/types.ts";

// ---------- RMSNorm: y = x / sqrt(mean(x^2) + eps) * w ----------

export function rmsnormForward(
  out: FloatArray,
  rstd: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  N: number,
  C: number,
  eps: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let ss = 0;
    for (let i = 0; i < C; i++) ss += inp[o + i] * inp[o + i];
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let i = 0; i < C; i++) out[o + i] = inp[o + i] * r * weight[i];
  }
}

export function rmsnormBackward(
  dinp: FloatArray,
  dweight: FloatArray,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  rstd: FloatArray,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const r = rstd[n];
    // d/dx_j of r = -r^3 x_j / C, so every input feels the weighted dot of all outputs.
    let dot = 0;
    for (let i = 0; i < C; i++) dot += dout[o + i] * weight[i] * inp[o + i];
    const k = (dot * r * r * r) / C;
    for (let i = 0; i < C; i++) {
      dweight[i] += dout[o + i] * inp[o + i] * r;
      dinp[o + i] += r * weight[i] * dout[o + i] - k * inp[o + i];
    }
  }
}

// ---------- Rotary position embedding, rotate-half ("NEOX") form ----------

/** cos/sin tables [T, D/2] for positions 0..T-1. */
export function ropeTables(T: number, D: number, theta: number): { cos: Float64Array; sin: Float64Array } {
  const half = D / 2;
  const cos = new Float64Array(T * half);
  const sin = new Float64Array(T * half);
  for (let i = 0; i < half; i++) {
    // Computed in float32 like the reference implementations, so angles agree to the last bit.
    const invFreq = Math.fround(1 / theta ** ((2 * i) / D));
    for (let t = 0; t < T; t++) {
      const angle = Math.fround(t * invFreq);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** In place on x [T, H, D]: (a, b) -> (a cos - b sin, b cos + a sin) for a = x[i], b = x[i + D/2]. */
export function ropeForward(
  x: FloatArray,
  T: number,
  H: number,
  D: number,
  cos: Float64Array,
  sin: Float64Array,
): void {
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const o = (t * H + h) * D;
      for (let i = 0; i < half; i++) {
        const c = cos[t * half + i];
        const s = sin[t * half + i];
        const a = x[o + i];
        const b = x[o + i + half];
        x[o + i] = a * c - b * s;
        x[o + i + half] = b * c + a * s;
      }
    }
  }
}

/** In place on the gradient: the rotation's transpose. */
export function ropeBackward(
  dx: FloatArray,
  T: number,
  H: number,
  D: number,
  cos: Float64Array,
  sin: Float64Array,
): void {
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const o = (t * H + h) * D;
      for (let i = 0; i < half; i++) {
        const c = cos[t * half + i];
        const s = sin[t * half + i];
        const da = dx[o + i];
        const db = dx[o + i + half];
        dx[o + i] = da * c + db * s;
        dx[o + i + half] = db * c - da * s;
      }
    }
  }
}

// ---------- Causal grouped-query attention ----------
// Per head, on contiguous [T, D] copies so the matmul kernel does the O(T^2 D) work:
//   S = Q K^T * scale (causal), P = softmax(S), O = P V.
// Query head h reads key/value head floor(h / (H / KVH)).

function like(x: FloatArray, n: number): FloatArray {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Copies head `h` of x [T, heads, D] into dst [T, D]. */
function gatherHead(dst: FloatArray, x: FloatArray, T: number, heads: number, h: number, D: number): void {
  for (let t = 0; t < T; t++) dst.set(x.subarray((t * heads + h) * D, (t * heads + h + 1) * D), t * D);
}

/** Adds src [T, D] into head `h` of x [T, heads, D] (or overwrites with add = false). */
function scatterHead(
  x: FloatArray,
  src: FloatArray,
  T: number,
  heads: number,
  h: number,
  D: number,
  add: boolean,
): void {
  for (let t = 0; t < T; t++) {
    const o = (t * heads + h) * D;
    for (let i = 0; i < D; i++) x[o + i] = (add ? x[o + i] : 0) + src[t * D + i];
  }
}

/**
 * Query rows go in blocks of this many, and a block's products stop at its last row's position:
 * the causal mask discards the rest, so at T = 256 about 5/8 of the full T x T work is done.
 * native/blas/layers.c blocks the same way (WZ_ATT_BLOCK), so both make the same matmul calls.
 */
export const ATTENTION_BLOCK = 64;

/** q [T, H, D], k and v [T, KVH, D] -> out [T, H, D]; att [H, T, T] keeps the probabilities. */
export function attentionForward(
  out: FloatArray,
  att: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  T: number,
  H: number,
  KVH: number,
  D: number,
  kernel: ComputeBackend,
): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / KVH;
  const Qh = like(q, T * D);
  const Kh = like(q, T * D);
  const Vh = like(q, T * D);
  const Oh = like(q, T * D);
  const S = like(q, Math.min(T, ATTENTION_BLOCK) * T);
  for (let kh = 0; kh < KVH; kh++) {
    gatherHead(Kh, k, T, KVH, kh, D);
    gatherHead(Vh, v, T, KVH, kh, D);
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      gatherHead(Qh, q, T, H, h, D);
      const P = att.subarray(h * T * T, (h + 1) * T * T);
      for (let t0 = 0; t0 < T; t0 += ATTENTION_BLOCK) {
        const t1 = Math.min(T, t0 + ATTENTION_BLOCK);
        const B = t1 - t0;
        // S = Q[t0:t1] K[0:t1]^T, [B, t1]
        kernel.matmulNT(S, Qh.subarray(t0 * D, t1 * D), Kh.subarray(0, t1 * D), B, D, t1, false);
        for (let t = t0; t < t1; t++) {
          const o = (t - t0) * t1;
          let max = Number.NEGATIVE_INFINITY;
          for (let s = 0; s <= t; s++) {
            const x = S[o + s] * scale;
            S[o + s] = x;
            if (x > max) max = x;
          }
          let sum = 0;
          for (let s = 0; s <= t; s++) {
            const e = wzExp(S[o + s] - max);
            S[o + s] = e;
            sum += e;
          }
          for (let s = 0; s <= t; s++) S[o + s] /= sum;
          for (let s = t + 1; s < t1; s++) S[o + s] = 0;
          P.set(S.subarray(o, o + t1), t * T);
          P.fill(0, t * T + t1, (t + 1) * T);
        }
        // O[t0:t1] = P V[0:t1]
        kernel.matmulNN(Oh.subarray(t0 * D, t1 * D), S, Vh.subarray(0, t1 * D), B, t1, D, false);
      }
      scatterHead(out, Oh, T, H, h, D, false);
    }
  }
}

/** Accumulates dq, dk, dv from dout [T, H, D] and the probabilities saved by the forward pass. */
export function attentionBackward(
  dq: FloatArray,
  dk: FloatArray,
  dv: FloatArray,
  dout: FloatArray,
  att: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  T: number,
  H: number,
  KVH: number,
  D: number,
  kernel: ComputeBackend,
): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / KVH;
  const Qh = like(q, T * D);
  const Kh = like(q, T * D);
  const Vh = like(q, T * D);
  const dOh = like(q, T * D);
  const dQh = like(q, T * D);
  const dKh = like(q, T * D);
  const dVh = like(q, T * D);
  const Pb = like(q, Math.min(T, ATTENTION_BLOCK) * T);
  const dS = like(q, Math.min(T, ATTENTION_BLOCK) * T);
  for (let kh = 0; kh < KVH; kh++) {
    gatherHead(Kh, k, T, KVH, kh, D);
    gatherHead(Vh, v, T, KVH, kh, D);
    dKh.fill(0);
    dVh.fill(0);
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      gatherHead(Qh, q, T, H, h, D);
      gatherHead(dOh, dout, T, H, h, D);
      const P = att.subarray(h * T * T, (h + 1) * T * T);
      for (let t0 = 0; t0 < T; t0 += ATTENTION_BLOCK) {
        const t1 = Math.min(T, t0 + ATTENTION_BLOCK);
        const B = t1 - t0;
        for (let t = t0; t < t1; t++) Pb.set(P.subarray(t * T, t * T + t1), (t - t0) * t1);
        const dOb = dOh.subarray(t0 * D, t1 * D);
        kernel.matmulTN(dVh.subarray(0, t1 * D), Pb, dOb, t1, B, D, true); // dV[0:t1] += P^T dO
        kernel.matmulNT(dS, dOb, Vh.subarray(0, t1 * D), B, D, t1, false); // dP = dO V[0:t1]^T
        // softmax backward: dS = P (dP - sum P dP), times the score scale
        for (let t = t0; t < t1; t++) {
          const o = (t - t0) * t1;
          let pdp = 0;
          for (let s = 0; s <= t; s++) pdp += Pb[o + s] * dS[o + s];
          for (let s = 0; s <= t; s++) dS[o + s] = Pb[o + s] * (dS[o + s] - pdp) * scale;
          for (let s = t + 1; s < t1; s++) dS[o + s] = 0;
        }
        kernel.matmulNN(dQh.subarray(t0 * D, t1 * D), dS, Kh.subarray(0, t1 * D), B, t1, D, false); // dQ = dS K
        kernel.matmulTN(dKh.subarray(0, t1 * D), dS, Qh.subarray(t0 * D, t1 * D), t1, B, D, true); // dK += dS^T Q
      }
      scatterHead(dq, dQh, T, H, h, D, true);
    }
    scatterHead(dk, dKh, T, KVH, kh, D, true);
    scatterHead(dv, dVh, T, KVH, kh, D, true);
  }
}

// ---------- SwiGLU: h = silu(gate) * up, silu(g) = g sigmoid(g) ----------

/** Keeps sigmoid(gate) in `sig` so that backward needs no second exp. */
export function swigluForward(
  h: FloatArray,
  sig: FloatArray,
  gate: FloatArray,
  up: FloatArray,
  N: number,
): void {
  for (let i = 0; i < N; i++) {
    const g = gate[i];
    const s = 1 / (1 + wzExp(-g));
    sig[i] = s;
    h[i] = g * s * up[i];
  }
}

export function swigluBackward(
  dgate: FloatArray,
  dup: FloatArray,
  dh: FloatArray,
  sig: FloatArray,
  gate: FloatArray,
  up: FloatArray,
  N: number,
): void {
  for (let i = 0; i < N; i++) {
    const g = gate[i];
    const s = sig[i];
    dup[i] = dh[i] * g * s;
    dgate[i] = dh[i] * up[i] * s * (1 + g * (1 - s));
  }
}

// ---------- Log-softmax at given targets ----------

/**
 * logits [T, V] -> logp[t] = log softmax(logits[t])[target[t]] and entropy[t]; probs (optional,
 * [T, V]) keeps softmax for backward. A target of -1 gives logp 0 (no target at that position).
 */
export function logSoftmaxForward(
  logp: Float64Array,
  entropy: Float64Array,
  probs: FloatArray,
  logits: FloatArray,
  targets: ArrayLike<number>,
  T: number,
  V: number,
): void {
  for (let t = 0; t < T; t++) {
    const o = t * V;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < V; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < V; j++) {
      const e = wzExp(logits[o + j] - max);
      probs[o + j] = e;
      sum += e;
    }
    const lse = max + Math.log(sum);
    let ent = 0;
    for (let j = 0; j < V; j++) {
      const p = probs[o + j] / sum;
      probs[o + j] = p;
      if (p > 0) ent -= p * (logits[o + j] - lse);
    }
    entropy[t] = ent;
    const y = targets[t];
    logp[t] = y >= 0 ? logits[o + y] - lse : 0;
  }
}

/** dlogits[t, j] = dlogp[t] * (1[j = target] - p[t, j]). */
export function logSoftmaxBackward(
  dlogits: FloatArray,
  dlogp: ArrayLike<number>,
  probs: FloatArray,
  targets: ArrayLike<number>,
  T: number,
  V: number,
): void {
  for (let t = 0; t < T; t++) {
    const o = t * V;
    const g = targets[t] >= 0 ? dlogp[t] : 0;
    for (let j = 0; j < V; j++) dlogits[o + j] = -g * probs[o + j];
    if (targets[t] >= 0) dlogits[o + targets[t]] += g;
  }
}
