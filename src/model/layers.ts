// The Qwen3 layers as pairs of plain functions, forward next to backward (after llm.c).
// Shapes are in the argument names: N rows of width C, T positions, H heads of size D.
// Backward functions *accumulate* into their input gradients (residual streams add up).
import type { FloatArray } from "./kernels/types.ts";

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

/**
 * q [T, H, D], k and v [T, KVH, D] -> out [T, H, D]; att [H, T, T] keeps the probabilities for
 * backward. Query head h reads key/value head floor(h / (H / KVH)).
 */
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
): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / KVH;
  out.fill(0, 0, T * H * D);
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const qo = (t * H + h) * D;
      const ao = (h * T + t) * T;
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s <= t; s++) {
        const ko = (s * KVH + kh) * D;
        let dot = 0;
        for (let i = 0; i < D; i++) dot += q[qo + i] * k[ko + i];
        dot *= scale;
        att[ao + s] = dot;
        if (dot > max) max = dot;
      }
      let sum = 0;
      for (let s = 0; s <= t; s++) {
        const e = Math.exp(att[ao + s] - max);
        att[ao + s] = e;
        sum += e;
      }
      for (let s = 0; s <= t; s++) {
        const p = att[ao + s] / sum;
        att[ao + s] = p;
        const vo = (s * KVH + kh) * D;
        for (let i = 0; i < D; i++) out[qo + i] += p * v[vo + i];
      }
      for (let s = t + 1; s < T; s++) att[ao + s] = 0;
    }
  }
}

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
): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / KVH;
  const dp = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const qo = (t * H + h) * D;
      const ao = (h * T + t) * T;
      // dp[s] = dout . v[s]; softmax backward: ds = p (dp - sum p dp)
      let pdp = 0;
      for (let s = 0; s <= t; s++) {
        const vo = (s * KVH + kh) * D;
        let dot = 0;
        for (let i = 0; i < D; i++) dot += dout[qo + i] * v[vo + i];
        dp[s] = dot;
        pdp += att[ao + s] * dot;
        const p = att[ao + s];
        for (let i = 0; i < D; i++) dv[vo + i] += p * dout[qo + i];
      }
      for (let s = 0; s <= t; s++) {
        const ds = att[ao + s] * (dp[s] - pdp) * scale;
        const ko = (s * KVH + kh) * D;
        for (let i = 0; i < D; i++) {
          dq[qo + i] += ds * k[ko + i];
          dk[ko + i] += ds * q[qo + i];
        }
      }
    }
  }
}

// ---------- SwiGLU: h = silu(gate) * up ----------

export function swigluForward(h: FloatArray, gate: FloatArray, up: FloatArray, N: number): void {
  for (let i = 0; i < N; i++) {
    const g = gate[i];
    h[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}

export function swigluBackward(
  dgate: FloatArray,
  dup: FloatArray,
  dh: FloatArray,
  gate: FloatArray,
  up: FloatArray,
  N: number,
): void {
  for (let i = 0; i < N; i++) {
    const g = gate[i];
    const sig = 1 / (1 + Math.exp(-g));
    const silu = g * sig;
    dup[i] = dh[i] * silu;
    dgate[i] = dh[i] * up[i] * sig * (1 + g * (1 - sig));
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
      const e = Math.exp(logits[o + j] - max);
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
