// The Qwen3 decoder with an explicit forward and backward, one sequence at a time.
//   x = embed(tokens)
//   per layer: x += o(attn(rope(knorm(k(rms1(x)))), rope(qnorm(q(rms1(x)))), v(rms1(x))))
//              x += down(silu(gate(rms2(x))) * up(rms2(x)))
//   logits = head(rmsf(x))          (head = embed^T when tied)
// forward() keeps the activations of that call; backward() consumes them and accumulates into
// the gradient buffer, so gradient accumulation over sequences is simply several calls.
import { hasQkNorm, type ModelConfig } from "./config.ts";
import { referenceKernel } from "./kernels/reference.ts";
import type { FloatArray, MatmulKernel } from "./kernels/types.ts";
import {
  attentionBackward,
  attentionForward,
  logSoftmaxBackward,
  logSoftmaxForward,
  rmsnormBackward,
  rmsnormForward,
  ropeBackward,
  ropeForward,
  ropeTables,
  swigluBackward,
  swigluForward,
} from "./layers.ts";
import { LoraAdapters, type LoraConfig } from "./lora.ts";
import {
  allocate,
  type DType,
  EMBED,
  FINAL_NORM,
  initParams,
  type LayerNames,
  LM_HEAD,
  layerNames,
  ParamBuffer,
  parameterSpecs,
} from "./params.ts";

interface LayerActs {
  xIn: FloatArray; // [T, C] residual stream entering the layer
  ln1: FloatArray;
  rstd1: FloatArray;
  qRaw: FloatArray; // [T, H*D] before q-norm
  kRaw: FloatArray; // [T, KVH*D]
  qNormed: FloatArray; // after q-norm, before rope
  kNormed: FloatArray;
  qRstd: FloatArray; // [T*H]
  kRstd: FloatArray; // [T*KVH]
  q: FloatArray; // after rope
  k: FloatArray;
  v: FloatArray;
  att: FloatArray; // [H, T, T]
  atty: FloatArray; // [T, H*D]
  xMid: FloatArray; // [T, C] after the attention residual
  ln2: FloatArray;
  rstd2: FloatArray;
  gate: FloatArray; // [T, F]
  up: FloatArray;
  sig: FloatArray; // sigmoid(gate), kept for backward
  h: FloatArray;
}

interface Acts {
  T: number;
  tokens: Int32Array;
  /** Null after hidden(): the trunk only, no language-model head. */
  targets: Int32Array | null;
  layers: LayerActs[];
  xFinal: FloatArray;
  lnf: FloatArray;
  rstdf: FloatArray;
  probs: FloatArray | null; // [T, V]
  rope: { cos: Float64Array; sin: Float64Array };
}

export interface ForwardResult {
  /** log p(target[t] | tokens[0..t]) for each position (0 where target is -1). */
  logprobs: Float64Array;
  /** Entropy of the next-token distribution at each position. */
  entropy: Float64Array;
}

export class Qwen3Model {
  readonly params: ParamBuffer;
  grads: ParamBuffer | null = null;
  kernel: MatmulKernel;
  /** Optional LoRA adapters; with trainBase false only they receive gradients. */
  lora: LoraAdapters | null = null;
  trainBase = true;
  private acts: Acts | null = null;
  private readonly loraActs = new Map<string, FloatArray>();
  private readonly names: LayerNames[];
  private readonly qkNorm: boolean;

  constructor(
    readonly cfg: ModelConfig,
    readonly dtype: DType = "f32",
    options: { kernel?: MatmulKernel; data?: FloatArray } = {},
  ) {
    this.params = new ParamBuffer(parameterSpecs(cfg), dtype, options.data);
    this.kernel = dtype === "f64" ? referenceKernel : (options.kernel ?? referenceKernel);
    this.names = Array.from({ length: cfg.numLayers }, (_, i) => layerNames(i));
    this.qkNorm = hasQkNorm(cfg);
  }

  static random(cfg: ModelConfig, seed: number, dtype: DType = "f32", kernel?: MatmulKernel): Qwen3Model {
    const m = new Qwen3Model(cfg, dtype, { kernel });
    initParams(m.params, cfg, seed);
    return m;
  }

  /** The buffers the optimizer updates: the adapters alone when the base is frozen. */
  trainable(): { params: ParamBuffer; grads: ParamBuffer } {
    if (!this.grads) this.zeroGrad();
    if (this.lora && !this.trainBase) {
      if (!this.lora.grads) this.lora.zeroGrad();
      return { params: this.lora.params, grads: this.lora.grads! };
    }
    return { params: this.params, grads: this.grads! };
  }

  /** Trains seeded LoRA adapters on a frozen base from here on (B = 0: the model is unchanged at first). */
  attachLora(config: LoraConfig, seed: number): LoraAdapters {
    this.lora = new LoraAdapters(this.cfg, config);
    this.lora.init(seed);
    this.trainBase = false;
    return this.lora;
  }

  get numParams(): number {
    return this.params.data.length;
  }

  zeroGrad(): void {
    if (!this.grads) this.grads = new ParamBuffer(this.params.specs, this.dtype);
    else this.grads.data.fill(0);
    this.lora?.zeroGrad();
  }

  private alloc(n: number): FloatArray {
    return allocate(this.dtype, n);
  }

  /** out[T, outDim] = inp[T, inDim] W^T (+ scale (inp A^T) B^T with a LoRA adapter on W). */
  private linear(out: FloatArray, inp: FloatArray, name: string, T: number, inDim: number, outDim: number) {
    this.kernel.matmulNT(out, inp, this.params.get(name), T, inDim, outDim, false);
    const pair = this.lora?.pairs.get(name);
    if (!pair) return;
    const r = this.lora!.config.rank;
    const xa = this.alloc(T * r);
    this.kernel.matmulNT(xa, inp, this.lora!.params.get(pair.a), T, inDim, r, false);
    const scaled = this.alloc(T * r);
    for (let i = 0; i < xa.length; i++) scaled[i] = xa[i] * this.lora!.scale;
    this.kernel.matmulNT(out, scaled, this.lora!.params.get(pair.b), T, r, outDim, true);
    this.loraActs.set(name, xa);
  }

  private linearBackward(
    dinp: FloatArray,
    name: string,
    dout: FloatArray,
    inp: FloatArray,
    T: number,
    inDim: number,
    outDim: number,
  ) {
    const weight = this.params.get(name);
    this.kernel.matmulNN(dinp, dout, weight, T, outDim, inDim, true);
    if (this.trainBase) this.kernel.matmulTN(this.grads!.get(name), dout, inp, outDim, T, inDim, true);
    const pair = this.lora?.pairs.get(name);
    if (!pair) return;
    const lora = this.lora!;
    if (!lora.grads) lora.zeroGrad();
    const r = lora.config.rank;
    const xa = this.loraActs.get(name)!;
    const A = lora.params.get(pair.a);
    const B = lora.params.get(pair.b);
    // y += s (x A^T) B^T:  dB += s dout^T (x A^T);  d(xA^T) = s dout B;  dA += d(xA^T)^T x;  dx += d(xA^T) A
    const scaledXa = this.alloc(T * r);
    for (let i = 0; i < xa.length; i++) scaledXa[i] = xa[i] * lora.scale;
    this.kernel.matmulTN(lora.grads!.get(pair.b), dout, scaledXa, outDim, T, r, true);
    const dxa = this.alloc(T * r);
    this.kernel.matmulNN(dxa, dout, B, T, outDim, r, false);
    for (let i = 0; i < dxa.length; i++) dxa[i] *= lora.scale;
    this.kernel.matmulTN(lora.grads!.get(pair.a), dxa, inp, r, T, inDim, true);
    this.kernel.matmulNN(dinp, dxa, A, T, r, inDim, true);
  }

  /** Full logits [T, V] for a token sequence (no activations kept). */
  logits(tokens: ArrayLike<number>): FloatArray {
    const { logits } = this.run(Int32Array.from(tokens), null, false);
    return logits;
  }

  /**
   * Log-probabilities of `targets[t]` after `tokens[0..t]`; keeps activations for backward().
   * For next-token training pass targets = tokens shifted by one, with -1 where nothing is scored.
   */
  forward(tokens: ArrayLike<number>, targets: ArrayLike<number>, keepActivations = true): ForwardResult {
    if (targets.length !== tokens.length) throw new Error("tokens and targets must have the same length");
    const { result } = this.run(Int32Array.from(tokens), Int32Array.from(targets), keepActivations);
    return result!;
  }

  /**
   * The trunk's output: the final RMSNorm's hidden states [T, C], the input of any head (a
   * reward model's value head reads the last row). Keeps activations for backwardHidden().
   */
  hidden(tokens: ArrayLike<number>, keepActivations = true): FloatArray {
    const t = this.trunk(Int32Array.from(tokens));
    this.acts = keepActivations ? { ...t, targets: null, probs: null } : null;
    return t.lnf;
  }

  private run(
    tokens: Int32Array,
    targets: Int32Array | null,
    keep: boolean,
  ): { logits: FloatArray; result?: ForwardResult } {
    const { T, layers, xFinal: x, lnf, rstdf, rope } = this.trunk(tokens);
    const V = this.cfg.vocabSize;
    const logits = this.alloc(T * V);
    this.linear(logits, lnf, this.headName(), T, this.cfg.hiddenSize, V);
    if (!targets) return { logits };

    const logprobs = new Float64Array(T);
    const entropy = new Float64Array(T);
    const probs = this.alloc(T * V);
    logSoftmaxForward(logprobs, entropy, probs, logits, targets, T, V);
    this.acts = keep ? { T, tokens, targets, layers, xFinal: x, lnf, rstdf, probs, rope } : null;
    return { logits, result: { logprobs, entropy } };
  }

  private trunk(tokens: Int32Array): Omit<Acts, "targets" | "probs"> {
    const cfg = this.cfg;
    const T = tokens.length;
    const C = cfg.hiddenSize;
    const H = cfg.numHeads;
    const KVH = cfg.numKVHeads;
    const D = cfg.headDim;
    const F = cfg.intermediateSize;
    const V = cfg.vocabSize;
    const P = this.params;
    if (T === 0) throw new Error("empty sequence");
    const rope = ropeTables(T, D, cfg.ropeTheta);

    const embed = P.get(EMBED);
    let x = this.alloc(T * C);
    for (let t = 0; t < T; t++) {
      const id = tokens[t];
      if (id < 0 || id >= V)
        throw new Error(`token id ${id} at position ${t} is outside the vocabulary (${V})`);
      x.set(embed.subarray(id * C, (id + 1) * C), t * C);
    }

    const layers: LayerActs[] = [];
    for (let l = 0; l < cfg.numLayers; l++) {
      const n = this.names[l];
      const a: LayerActs = {
        xIn: x,
        ln1: this.alloc(T * C),
        rstd1: this.alloc(T),
        qRaw: this.alloc(T * H * D),
        kRaw: this.alloc(T * KVH * D),
        qNormed: this.alloc(T * H * D),
        kNormed: this.alloc(T * KVH * D),
        qRstd: this.alloc(T * H),
        kRstd: this.alloc(T * KVH),
        q: this.alloc(T * H * D),
        k: this.alloc(T * KVH * D),
        v: this.alloc(T * KVH * D),
        att: this.alloc(H * T * T),
        atty: this.alloc(T * H * D),
        xMid: this.alloc(T * C),
        ln2: this.alloc(T * C),
        rstd2: this.alloc(T),
        gate: this.alloc(T * F),
        up: this.alloc(T * F),
        sig: this.alloc(T * F),
        h: this.alloc(T * F),
      };
      // attention block
      rmsnormForward(a.ln1, a.rstd1, x, P.get(n.inputNorm), T, C, cfg.rmsNormEps);
      this.linear(a.qRaw, a.ln1, n.q, T, C, H * D);
      this.linear(a.kRaw, a.ln1, n.k, T, C, KVH * D);
      this.linear(a.v, a.ln1, n.v, T, C, KVH * D);
      if (cfg.attentionBias) {
        addBias(a.qRaw, P.get(n.qBias), T, H * D);
        addBias(a.kRaw, P.get(n.kBias), T, KVH * D);
        addBias(a.v, P.get(n.vBias), T, KVH * D);
      }
      if (this.qkNorm) {
        rmsnormForward(a.qNormed, a.qRstd, a.qRaw, P.get(n.qNorm), T * H, D, cfg.rmsNormEps);
        rmsnormForward(a.kNormed, a.kRstd, a.kRaw, P.get(n.kNorm), T * KVH, D, cfg.rmsNormEps);
        a.q.set(a.qNormed);
        a.k.set(a.kNormed);
      } else {
        a.q.set(a.qRaw);
        a.k.set(a.kRaw);
      }
      ropeForward(a.q, T, H, D, rope.cos, rope.sin);
      ropeForward(a.k, T, KVH, D, rope.cos, rope.sin);
      attentionForward(a.atty, a.att, a.q, a.k, a.v, T, H, KVH, D, this.kernel);
      this.linear(a.xMid, a.atty, n.o, T, H * D, C);
      for (let i = 0; i < T * C; i++) a.xMid[i] += x[i];
      // MLP block
      rmsnormForward(a.ln2, a.rstd2, a.xMid, P.get(n.postNorm), T, C, cfg.rmsNormEps);
      this.linear(a.gate, a.ln2, n.gate, T, C, F);
      this.linear(a.up, a.ln2, n.up, T, C, F);
      swigluForward(a.h, a.sig, a.gate, a.up, T * F);
      const xOut = this.alloc(T * C);
      this.linear(xOut, a.h, n.down, T, F, C);
      for (let i = 0; i < T * C; i++) xOut[i] += a.xMid[i];
      layers.push(a);
      x = xOut;
    }

    const lnf = this.alloc(T * C);
    const rstdf = this.alloc(T);
    rmsnormForward(lnf, rstdf, x, P.get(FINAL_NORM), T, C, cfg.rmsNormEps);
    return { T, tokens, layers, xFinal: x, lnf, rstdf, rope };
  }

  private headName(): string {
    return this.cfg.tieWordEmbeddings ? EMBED : LM_HEAD;
  }

  /** Accumulates d(objective)/d(params) given d(objective)/d(logprobs[t]) for the last forward. */
  backward(dlogprobs: ArrayLike<number>): void {
    const acts = this.acts;
    if (!acts?.probs || !acts.targets) throw new Error("backward() needs a forward() with activations first");
    if (!this.grads) this.zeroGrad();
    const { T } = acts;
    const C = this.cfg.hiddenSize;
    const V = this.cfg.vocabSize;
    const dlogits = this.alloc(T * V);
    logSoftmaxBackward(dlogits, dlogprobs, acts.probs, acts.targets, T, V);
    const dlnf = this.alloc(T * C);
    this.linearBackward(dlnf, this.headName(), dlogits, acts.lnf, T, C, V);
    this.backwardTrunk(acts, dlnf);
  }

  /** Accumulates d(objective)/d(params) given d(objective)/d(hidden) [T, C] for the last hidden(). */
  backwardHidden(dhidden: FloatArray): void {
    const acts = this.acts;
    if (!acts || acts.probs) throw new Error("backwardHidden() needs a hidden() with activations first");
    if (dhidden.length !== acts.T * this.cfg.hiddenSize) throw new Error("dhidden must be [T, hidden_size]");
    if (!this.grads) this.zeroGrad();
    this.backwardTrunk(acts, dhidden);
  }

  private backwardTrunk(acts: Acts, dlnf: FloatArray): void {
    const G = this.grads!;
    const P = this.params;
    const cfg = this.cfg;
    const { T, rope } = acts;
    const C = cfg.hiddenSize;
    const H = cfg.numHeads;
    const KVH = cfg.numKVHeads;
    const D = cfg.headDim;
    const F = cfg.intermediateSize;

    // Per-layer temporaries are reused across layers (zeroed on each use): no garbage per layer.
    const pool = new Map<string, FloatArray>();
    const scratch = (name: string, n: number) => {
      const buf = pool.get(name);
      if (buf && buf.length === n) return buf.fill(0);
      const fresh = this.alloc(n);
      pool.set(name, fresh);
      return fresh;
    };
    let dx = this.alloc(T * C);
    rmsnormBackward(dx, G.get(FINAL_NORM), dlnf, acts.xFinal, P.get(FINAL_NORM), acts.rstdf, T, C);

    for (let l = cfg.numLayers - 1; l >= 0; l--) {
      const n = this.names[l];
      const a = acts.layers[l];
      // MLP block: x_out = x_mid + down(h)
      const dh = scratch("dh", T * F);
      this.linearBackward(dh, n.down, dx, a.h, T, F, C);
      const dgate = scratch("dgate", T * F);
      const dup = scratch("dup", T * F);
      swigluBackward(dgate, dup, dh, a.sig, a.gate, a.up, T * F);
      const dln2 = scratch("dln2", T * C);
      this.linearBackward(dln2, n.gate, dgate, a.ln2, T, C, F);
      this.linearBackward(dln2, n.up, dup, a.ln2, T, C, F);
      const dxMid = dx; // the residual passes the gradient through unchanged
      rmsnormBackward(dxMid, G.get(n.postNorm), dln2, a.xMid, P.get(n.postNorm), a.rstd2, T, C);
      // attention block: x_mid = x_in + o(atty)
      const datty = scratch("datty", T * H * D);
      this.linearBackward(datty, n.o, dxMid, a.atty, T, H * D, C);
      const dq = scratch("dq", T * H * D);
      const dk = scratch("dk", T * KVH * D);
      const dv = scratch("dv", T * KVH * D);
      attentionBackward(dq, dk, dv, datty, a.att, a.q, a.k, a.v, T, H, KVH, D, this.kernel);
      ropeBackward(dq, T, H, D, rope.cos, rope.sin);
      ropeBackward(dk, T, KVH, D, rope.cos, rope.sin);
      const dqRaw = scratch("dqRaw", T * H * D);
      const dkRaw = scratch("dkRaw", T * KVH * D);
      if (this.qkNorm) {
        rmsnormBackward(dqRaw, G.get(n.qNorm), dq, a.qRaw, P.get(n.qNorm), a.qRstd, T * H, D);
        rmsnormBackward(dkRaw, G.get(n.kNorm), dk, a.kRaw, P.get(n.kNorm), a.kRstd, T * KVH, D);
      } else {
        dqRaw.set(dq);
        dkRaw.set(dk);
      }
      if (cfg.attentionBias && this.trainBase) {
        biasBackward(G.get(n.qBias), dqRaw, T, H * D);
        biasBackward(G.get(n.kBias), dkRaw, T, KVH * D);
        biasBackward(G.get(n.vBias), dv, T, KVH * D);
      }
      const dln1 = scratch("dln1", T * C);
      this.linearBackward(dln1, n.q, dqRaw, a.ln1, T, C, H * D);
      this.linearBackward(dln1, n.k, dkRaw, a.ln1, T, C, KVH * D);
      this.linearBackward(dln1, n.v, dv, a.ln1, T, C, KVH * D);
      rmsnormBackward(dxMid, G.get(n.inputNorm), dln1, a.xIn, P.get(n.inputNorm), a.rstd1, T, C);
      dx = dxMid;
    }

    const dembed = G.get(EMBED);
    for (let t = 0; t < T; t++) {
      const o = acts.tokens[t] * C;
      for (let i = 0; i < C; i++) dembed[o + i] += dx[t * C + i];
    }
    this.acts = null;
  }
}

/** x[t, :] += bias for every row t. */
function addBias(x: FloatArray, bias: FloatArray, T: number, N: number): void {
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) x[t * N + i] += bias[i];
}

/** dbias += sum over rows of dout. */
function biasBackward(dbias: FloatArray, dout: FloatArray, T: number, N: number): void {
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) dbias[i] += dout[t * N + i];
}
