// The decoder-only transformer (Qwen3; Qwen2 and Llama through config.ts: no q/k norm, biases,
// tied or untied head) with an explicit forward and backward, one sequence at a time.
//   x = embed(tokens)
//   per layer: x += o(attn(rope(knorm(k(rms1(x)))), rope(qnorm(q(rms1(x)))), v(rms1(x))))
//              x += down(silu(gate(rms2(x))) * up(rms2(x)))
//   logits = head(rmsf(x))          (head = embed^T when tied)
// forward() keeps the activations of that call; backward() consumes them and accumulates into
// the gradient buffer, so gradient accumulation over sequences is simply several calls.
// Activations and scratch live in workspaces sized by the longest sequence seen and reused, so
// steady-state training allocates nothing large; the layers run on the kernel's backend
// (kernels/layer-ops.ts: the native C layers with the OpenBLAS kernel, else TypeScript).
import { hasQkNorm, type ModelConfig } from "./config.ts";
import { jsLayerOps, type LayerOps } from "./kernels/layer-ops.ts";
import { referenceKernel } from "./kernels/reference.ts";
import type { ComputeBackend, FloatArray } from "./kernels/types.ts";
import { ropeTables } from "./layers.ts";
import { LoraAdapters, type LoraSettings } from "./lora.ts";
import {
  type DType,
  EMBED,
  FINAL_NORM,
  initParams,
  type LayerNames,
  LM_HEAD,
  layerNames,
  ParamBuffer,
  parameterSpecs,
  type TensorSpec,
} from "./params.ts";
import { Workspace } from "./workspace.ts";

interface LayerActs {
  xIn: FloatArray; // [T, C] residual stream entering the layer
  ln1: FloatArray;
  rstd1: FloatArray;
  qRaw: FloatArray; // [T, H*D] before q-norm (without q/k-norm: q itself, read by nothing after)
  kRaw: FloatArray; // [T, KVH*D]
  qRstd: FloatArray; // [T*H]
  kRstd: FloatArray; // [T*KVH]
  q: FloatArray; // after q-norm and rope (rope works in place)
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
  /** Rows in all: the lengths of the packed sequences added up. */
  T: number;
  /** The packed sequences' lengths, in row order (one entry for a single sequence). */
  lengths: number[];
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

/** One sequence of a packed pass: tokens and, for each position, the token it should predict. */
export interface PackedSequence {
  tokens: ArrayLike<number>;
  targets: ArrayLike<number>;
}

/**
 * Each packed sequence's rows r0..r1 (len = r1 - r0) and where its [H, len, len] attention
 * probabilities start in the layer's attention buffer.
 */
function segments(lengths: number[], H: number): { r0: number; r1: number; len: number; att: number }[] {
  let r0 = 0;
  let att = 0;
  return lengths.map((len) => {
    const seg = { r0, r1: r0 + len, len, att };
    r0 += len;
    att += H * len * len;
    return seg;
  });
}

/** Rows r0..r1 of a [rows, width] array, without a new view when that is the whole array. */
function rows(x: FloatArray, r0: number, r1: number, width: number): FloatArray {
  return r0 === 0 && r1 * width === x.length ? x : x.subarray(r0 * width, r1 * width);
}

export interface ForwardResult {
  /** log p(target[t] | tokens[0..t]) for each position (0 where target is -1). */
  logprobs: Float64Array;
  /** Entropy of the next-token distribution at each position. */
  entropy: Float64Array;
}

export class DecoderModel {
  readonly params: ParamBuffer;
  grads: ParamBuffer | null = null;
  kernel: ComputeBackend;
  /** Optional LoRA adapters; with trainBase false only they receive gradients. */
  lora: LoraAdapters | null = null;
  trainBase = true;
  private acts: Acts | null = null;
  private readonly names: LayerNames[];
  private readonly qkNorm: boolean;
  /** Model-level buffers (logits, probabilities, backward scratch) and one workspace per layer. */
  private readonly space: Workspace;
  private readonly layerSpace: Workspace[];
  /** LoRA's x A^T per adapted weight, kept for backward, and its temporaries. */
  private readonly loraSpace: Workspace;
  /** cos/sin tables of the longest sequence so far; a shorter one reads their prefix. */
  private rope: { maxT: number; cos: Float64Array; sin: Float64Array } = {
    maxT: 0,
    cos: new Float64Array(0),
    sin: new Float64Array(0),
  };
  private opsFor: ComputeBackend | null = null;
  private opsCache: LayerOps | null = null;

  constructor(
    readonly cfg: ModelConfig,
    readonly dtype: DType = "f32",
    options: { kernel?: ComputeBackend; data?: FloatArray } = {},
  ) {
    this.kernel = dtype === "f64" ? referenceKernel : (options.kernel ?? referenceKernel);
    const specs = parameterSpecs(cfg);
    this.params = new ParamBuffer(specs, dtype, this.inKernelMemory(specs, options.data));
    this.names = Array.from({ length: cfg.numLayers }, (_, i) => layerNames(i));
    this.qkNorm = hasQkNorm(cfg);
    // Buffers come from the kernel in use when they are made (the wasm kernel keeps them in its own
    // memory and works on them in place); a kernel swapped in later copies what is not its own.
    const fromKernel = (n: number) => this.kernel.allocate?.(n) ?? null;
    this.space = new Workspace(dtype, fromKernel);
    this.layerSpace = this.names.map(() => new Workspace(dtype, fromKernel));
    this.loraSpace = new Workspace(dtype, fromKernel);
  }

  /**
   * A flat float32 buffer for these tensors in the kernel's own memory (holding `data` when given),
   * so that a kernel that copies what is not its own (wasm) computes on the weights in place; or
   * `data` itself (undefined: a new ordinary array) when the kernel has no memory of its own.
   */
  private inKernelMemory(specs: TensorSpec[], data?: FloatArray): FloatArray | undefined {
    if (this.dtype !== "f32" || !this.kernel.allocate) return data;
    const own = this.kernel.allocate(specs.reduce((n, t) => n + t.size, 0));
    if (!own || (data && data.length !== own.length)) return data;
    if (data) own.set(data);
    return own;
  }

  /** The layers on the current kernel's backend (the kernel may be swapped after construction). */
  private get ops(): LayerOps {
    if (this.opsFor !== this.kernel || !this.opsCache) {
      this.opsCache = this.kernel.layers ?? jsLayerOps(this.kernel);
      this.opsFor = this.kernel;
    }
    return this.opsCache;
  }

  /** Buffers the workspaces have created, and the bytes they hold (steady state adds none). */
  workspaceStats(): { allocations: number; bytes: number } {
    const all = [this.space, this.loraSpace, ...this.layerSpace];
    return {
      allocations: all.reduce((n, w) => n + w.allocations, 0),
      bytes: all.reduce((n, w) => n + w.bytes, 0),
    };
  }

  /** cos/sin tables for positions 0..T-1: a prefix of the longest table computed so far. */
  private ropeFor(T: number): { cos: Float64Array; sin: Float64Array } {
    if (T > this.rope.maxT) this.rope = { maxT: T, ...ropeTables(T, this.cfg.headDim, this.cfg.ropeTheta) };
    const n = (T * this.cfg.headDim) / 2;
    return { cos: this.rope.cos.subarray(0, n), sin: this.rope.sin.subarray(0, n) };
  }

  static random(cfg: ModelConfig, seed: number, dtype: DType = "f32", kernel?: ComputeBackend): DecoderModel {
    const m = new DecoderModel(cfg, dtype, { kernel });
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
  attachLora(config: LoraSettings, seed: number): LoraAdapters {
    this.lora = new LoraAdapters(this.cfg, config);
    this.lora.init(seed);
    this.trainBase = false;
    return this.lora;
  }

  get numParams(): number {
    return this.params.data.length;
  }

  zeroGrad(): void {
    if (!this.grads)
      this.grads = new ParamBuffer(this.params.specs, this.dtype, this.inKernelMemory(this.params.specs));
    else this.grads.data.fill(0);
    this.lora?.zeroGrad();
  }

  /** out[T, outDim] = inp[T, inDim] W^T (+ scale (inp A^T) B^T with a LoRA adapter on W). */
  private linear(out: FloatArray, inp: FloatArray, name: string, T: number, inDim: number, outDim: number) {
    this.kernel.matmulNT(out, inp, this.params.get(name), T, inDim, outDim, false);
    const pair = this.lora?.pairs.get(name);
    if (!pair) return;
    const r = this.lora!.config.rank;
    const xa = this.loraSpace.get(name, T * r);
    this.kernel.matmulNT(xa, inp, this.lora!.params.get(pair.a), T, inDim, r, false);
    const scaled = this.loraSpace.get("scaled", T * r);
    for (let i = 0; i < xa.length; i++) scaled[i] = xa[i] * this.lora!.scale;
    this.kernel.matmulNT(out, scaled, this.lora!.params.get(pair.b), T, r, outDim, true);
  }

  /**
   * Backward of linear(): the weight's (and adapter's) gradients accumulate; the input gradient is
   * added into dinp when `add`, else written (so the first contribution needs no zeroed buffer).
   */
  private linearBackward(
    dinp: FloatArray,
    add: boolean,
    name: string,
    dout: FloatArray,
    inp: FloatArray,
    T: number,
    inDim: number,
    outDim: number,
  ) {
    const weight = this.params.get(name);
    this.kernel.matmulNN(dinp, dout, weight, T, outDim, inDim, add);
    if (this.trainBase) this.kernel.matmulTN(this.grads!.get(name), dout, inp, outDim, T, inDim, true);
    const pair = this.lora?.pairs.get(name);
    if (!pair) return;
    const lora = this.lora!;
    if (!lora.grads) lora.zeroGrad();
    const r = lora.config.rank;
    const xa = this.loraSpace.get(name, T * r);
    const A = lora.params.get(pair.a);
    const B = lora.params.get(pair.b);
    // y += s (x A^T) B^T:  dB += s dout^T (x A^T);  d(xA^T) = s dout B;  dA += d(xA^T)^T x;  dx += d(xA^T) A
    const scaledXa = this.loraSpace.get("scaled", T * r);
    for (let i = 0; i < xa.length; i++) scaledXa[i] = xa[i] * lora.scale;
    this.kernel.matmulTN(lora.grads!.get(pair.b), dout, scaledXa, outDim, T, r, true);
    const dxa = this.loraSpace.get("dxa", T * r);
    this.kernel.matmulNN(dxa, dout, B, T, outDim, r, false);
    for (let i = 0; i < dxa.length; i++) dxa[i] *= lora.scale;
    this.kernel.matmulTN(lora.grads!.get(pair.a), dxa, inp, r, T, inDim, true);
    this.kernel.matmulNN(dinp, dxa, A, T, r, inDim, true);
  }

  /** Full logits [T, V] for a token sequence (no activations kept); a fresh array. */
  logits(tokens: ArrayLike<number>): FloatArray {
    const { logits } = this.run(Int32Array.from(tokens), null, false, [tokens.length]);
    return logits.slice();
  }

  /**
   * Log-probabilities of `targets[t]` after `tokens[0..t]`; keeps activations for backward().
   * For next-token training pass targets = tokens shifted by one, with -1 where nothing is scored.
   */
  forward(tokens: ArrayLike<number>, targets: ArrayLike<number>, keepActivations = true): ForwardResult {
    if (targets.length !== tokens.length) throw new Error("tokens and targets must have the same length");
    const { result } = this.run(Int32Array.from(tokens), Int32Array.from(targets), keepActivations, [
      tokens.length,
    ]);
    return result!;
  }

  /**
   * Several sequences in one pass, their rows stacked so that every matmul sees them all at once
   * (large products, split over the cores); attention and positions stay within each sequence.
   * The same results as one forward() per sequence up to the order of floating-point sums; keeps
   * activations for backwardPacked().
   */
  forwardPacked(seqs: PackedSequence[], keepActivations = true): ForwardResult[] {
    if (seqs.length === 0) throw new Error("forwardPacked needs at least one sequence");
    const lengths = seqs.map((q, i) => {
      if (q.tokens.length === 0) throw new Error(`packed sequence ${i} is empty`);
      if (q.targets.length !== q.tokens.length)
        throw new Error(`packed sequence ${i}: tokens and targets must have the same length`);
      return q.tokens.length;
    });
    const total = lengths.reduce((a, b) => a + b, 0);
    const tokens = new Int32Array(total);
    const targets = new Int32Array(total);
    let at = 0;
    for (const q of seqs) {
      tokens.set(q.tokens, at);
      targets.set(q.targets, at);
      at += q.tokens.length;
    }
    const { result } = this.run(tokens, targets, keepActivations, lengths);
    at = 0;
    return lengths.map((n) => {
      const r = {
        logprobs: result!.logprobs.subarray(at, at + n),
        entropy: result!.entropy.subarray(at, at + n),
      };
      at += n;
      return r;
    });
  }

  /** backward() for the last forwardPacked(): one array of d(objective)/d(logprobs) per sequence. */
  backwardPacked(dlogprobs: ArrayLike<number>[]): void {
    const lengths = this.acts?.lengths;
    if (!lengths || dlogprobs.length !== lengths.length || dlogprobs.some((d, i) => d.length !== lengths[i]))
      throw new Error("backwardPacked() needs one gradient per sequence of the last forwardPacked()");
    const all = new Float64Array(this.acts!.T);
    let at = 0;
    for (const d of dlogprobs) {
      all.set(d, at);
      at += d.length;
    }
    this.backward(all);
  }

  /**
   * The trunk's output: the final RMSNorm's hidden states [T, C], the input of any head (a
   * reward model's value head reads the last row). Keeps activations for backwardHidden().
   * The array is the model's own buffer: read it before the next call on this model.
   */
  hidden(tokens: ArrayLike<number>, keepActivations = true): FloatArray {
    const t = this.trunk(Int32Array.from(tokens), [tokens.length]);
    this.acts = keepActivations ? { ...t, targets: null, probs: null } : null;
    return t.lnf;
  }

  /**
   * Each layer's keys (rotated) and values of every position of the given sequences, stacked
   * [rows, KVH * D] in sequence order: a decoder's cache filled by one packed pass (batch-decode.ts).
   * Copies: the model's buffers are reused by the next call.
   */
  keysAndValues(seqs: ArrayLike<number>[]): { k: FloatArray; v: FloatArray }[] {
    const lengths = seqs.map((q) => q.length);
    const tokens = new Int32Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const q of seqs) {
      tokens.set(q, at);
      at += q.length;
    }
    const t = this.trunk(tokens, lengths);
    this.acts = null;
    return t.layers.map((a) => ({ k: a.k.slice(), v: a.v.slice() }));
  }

  private run(
    tokens: Int32Array,
    targets: Int32Array | null,
    keep: boolean,
    lengths: number[],
  ): { logits: FloatArray; result?: ForwardResult } {
    const { T, layers, xFinal: x, lnf, rstdf, rope } = this.trunk(tokens, lengths);
    const V = this.cfg.vocabSize;
    const logits = this.space.get("logits", T * V);
    this.linear(logits, lnf, this.headName(), T, this.cfg.hiddenSize, V);
    if (!targets) return { logits };

    const logprobs = new Float64Array(T);
    const entropy = new Float64Array(T);
    const probs = this.space.get("probs", T * V);
    this.ops.logSoftmaxForward(logprobs, entropy, probs, logits, targets, T, V);
    this.acts = keep ? { T, lengths, tokens, targets, layers, xFinal: x, lnf, rstdf, probs, rope } : null;
    return { logits, result: { logprobs, entropy } };
  }

  private trunk(tokens: Int32Array, lengths: number[]): Omit<Acts, "targets" | "probs"> {
    const cfg = this.cfg;
    const T = tokens.length;
    const C = cfg.hiddenSize;
    const H = cfg.numHeads;
    const KVH = cfg.numKVHeads;
    const D = cfg.headDim;
    const F = cfg.intermediateSize;
    const V = cfg.vocabSize;
    const P = this.params;
    const ops = this.ops;
    if (T === 0) throw new Error("empty sequence");
    const rope = this.ropeFor(Math.max(...lengths));
    const segs = segments(lengths, H);
    const attSize = H * lengths.reduce((n, len) => n + len * len, 0);

    const embed = P.get(EMBED);
    let x = this.space.get("x0", T * C);
    for (let t = 0; t < T; t++) {
      const id = tokens[t];
      if (id < 0 || id >= V)
        throw new Error(`token id ${id} at position ${t} is outside the vocabulary (${V})`);
      x.set(embed.subarray(id * C, id * C + C), t * C);
    }

    const layers: LayerActs[] = [];
    for (let l = 0; l < cfg.numLayers; l++) {
      const n = this.names[l];
      const w = this.layerSpace[l];
      // Without q/k-norm the projections are written straight into q and k (no copy).
      const q = w.get("q", T * H * D);
      const k = w.get("k", T * KVH * D);
      const a: LayerActs = {
        xIn: x,
        ln1: w.get("ln1", T * C),
        rstd1: w.get("rstd1", T),
        qRaw: this.qkNorm ? w.get("qRaw", T * H * D) : q,
        kRaw: this.qkNorm ? w.get("kRaw", T * KVH * D) : k,
        qRstd: w.get("qRstd", T * H),
        kRstd: w.get("kRstd", T * KVH),
        q,
        k,
        v: w.get("v", T * KVH * D),
        att: w.get("att", attSize),
        atty: w.get("atty", T * H * D),
        xMid: w.get("xMid", T * C),
        ln2: w.get("ln2", T * C),
        rstd2: w.get("rstd2", T),
        gate: w.get("gate", T * F),
        up: w.get("up", T * F),
        sig: w.get("sig", T * F),
        h: w.get("h", T * F),
      };
      // attention block
      ops.rmsnormForward(a.ln1, a.rstd1, x, P.get(n.inputNorm), T, C, cfg.rmsNormEps);
      this.linear(a.qRaw, a.ln1, n.q, T, C, H * D);
      this.linear(a.kRaw, a.ln1, n.k, T, C, KVH * D);
      this.linear(a.v, a.ln1, n.v, T, C, KVH * D);
      if (cfg.attentionBias) {
        addBias(a.qRaw, P.get(n.qBias), T, H * D);
        addBias(a.kRaw, P.get(n.kBias), T, KVH * D);
        addBias(a.v, P.get(n.vBias), T, KVH * D);
      }
      if (this.qkNorm) {
        ops.rmsnormForward(a.q, a.qRstd, a.qRaw, P.get(n.qNorm), T * H, D, cfg.rmsNormEps);
        ops.rmsnormForward(a.k, a.kRstd, a.kRaw, P.get(n.kNorm), T * KVH, D, cfg.rmsNormEps);
      }
      // Positions and attention restart with each packed sequence.
      for (const { r0, r1, len, att } of segs) {
        const q = rows(a.q, r0, r1, H * D);
        const k = rows(a.k, r0, r1, KVH * D);
        const v = rows(a.v, r0, r1, KVH * D);
        ops.ropeForward(q, len, H, D, rope.cos, rope.sin);
        ops.ropeForward(k, len, KVH, D, rope.cos, rope.sin);
        const probs = rows(a.att, att, att + H * len * len, 1);
        ops.attentionForward(rows(a.atty, r0, r1, H * D), probs, q, k, v, len, H, KVH, D);
      }
      this.linear(a.xMid, a.atty, n.o, T, H * D, C);
      ops.addInto(a.xMid, x, T * C);
      // MLP block
      ops.rmsnormForward(a.ln2, a.rstd2, a.xMid, P.get(n.postNorm), T, C, cfg.rmsNormEps);
      this.linear(a.gate, a.ln2, n.gate, T, C, F);
      this.linear(a.up, a.ln2, n.up, T, C, F);
      ops.swigluForward(a.h, a.sig, a.gate, a.up, T * F);
      const xOut = w.get("xOut", T * C);
      this.linear(xOut, a.h, n.down, T, F, C);
      ops.addInto(xOut, a.xMid, T * C);
      layers.push(a);
      x = xOut;
    }

    const lnf = this.space.get("lnf", T * C);
    const rstdf = this.space.get("rstdf", T);
    ops.rmsnormForward(lnf, rstdf, x, P.get(FINAL_NORM), T, C, cfg.rmsNormEps);
    return { T, lengths, tokens, layers, xFinal: x, lnf, rstdf, rope };
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
    const dlogits = this.space.get("dlogits", T * V);
    this.ops.logSoftmaxBackward(dlogits, dlogprobs, acts.probs, acts.targets, T, V);
    const dlnf = this.space.get("dlnf", T * C);
    this.linearBackward(dlnf, false, this.headName(), dlogits, acts.lnf, T, C, V);
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
    const { T, rope, lengths } = acts;
    const segs = segments(lengths, cfg.numHeads);
    const C = cfg.hiddenSize;
    const H = cfg.numHeads;
    const KVH = cfg.numKVHeads;
    const D = cfg.headDim;
    const F = cfg.intermediateSize;

    const ops = this.ops;
    // Per-layer temporaries are shared by the layers: zeroed on each use where the first
    // contribution is added (scratch), else written over (space.get).
    const scratch = (name: string, n: number) => this.space.zeroed(name, n);
    const written = (name: string, n: number) => this.space.get(name, n);
    let dx = scratch("dx", T * C);
    ops.rmsnormBackward(dx, G.get(FINAL_NORM), dlnf, acts.xFinal, P.get(FINAL_NORM), acts.rstdf, T, C);

    for (let l = cfg.numLayers - 1; l >= 0; l--) {
      const n = this.names[l];
      const a = acts.layers[l];
      // MLP block: x_out = x_mid + down(h)
      const dh = written("dh", T * F);
      this.linearBackward(dh, false, n.down, dx, a.h, T, F, C);
      const dgate = written("dgate", T * F);
      const dup = written("dup", T * F);
      ops.swigluBackward(dgate, dup, dh, a.sig, a.gate, a.up, T * F);
      const dln2 = written("dln2", T * C);
      this.linearBackward(dln2, false, n.gate, dgate, a.ln2, T, C, F);
      this.linearBackward(dln2, true, n.up, dup, a.ln2, T, C, F);
      const dxMid = dx; // the residual passes the gradient through unchanged
      ops.rmsnormBackward(dxMid, G.get(n.postNorm), dln2, a.xMid, P.get(n.postNorm), a.rstd2, T, C);
      // attention block: x_mid = x_in + o(atty)
      const datty = written("datty", T * H * D);
      this.linearBackward(datty, false, n.o, dxMid, a.atty, T, H * D, C);
      const dq = scratch("dq", T * H * D);
      const dk = scratch("dk", T * KVH * D);
      const dv = scratch("dv", T * KVH * D);
      for (const { r0, r1, len, att } of segs) {
        const q = rows(a.q, r0, r1, H * D);
        const k = rows(a.k, r0, r1, KVH * D);
        const v = rows(a.v, r0, r1, KVH * D);
        const dqs = rows(dq, r0, r1, H * D);
        const dks = rows(dk, r0, r1, KVH * D);
        const probs = rows(a.att, att, att + H * len * len, 1);
        ops.attentionBackward(
          dqs,
          dks,
          rows(dv, r0, r1, KVH * D),
          rows(datty, r0, r1, H * D),
          probs,
          q,
          k,
          v,
          len,
          H,
          KVH,
          D,
        );
        ops.ropeBackward(dqs, len, H, D, rope.cos, rope.sin);
        ops.ropeBackward(dks, len, KVH, D, rope.cos, rope.sin);
      }
      // Without q/k-norm the projections' gradients are dq and dk themselves; the norms' backward adds.
      const dqRaw = this.qkNorm ? scratch("dqRaw", T * H * D) : dq;
      const dkRaw = this.qkNorm ? scratch("dkRaw", T * KVH * D) : dk;
      if (this.qkNorm) {
        ops.rmsnormBackward(dqRaw, G.get(n.qNorm), dq, a.qRaw, P.get(n.qNorm), a.qRstd, T * H, D);
        ops.rmsnormBackward(dkRaw, G.get(n.kNorm), dk, a.kRaw, P.get(n.kNorm), a.kRstd, T * KVH, D);
      }
      if (cfg.attentionBias && this.trainBase) {
        biasBackward(G.get(n.qBias), dqRaw, T, H * D);
        biasBackward(G.get(n.kBias), dkRaw, T, KVH * D);
        biasBackward(G.get(n.vBias), dv, T, KVH * D);
      }
      const dln1 = written("dln1", T * C);
      this.linearBackward(dln1, false, n.q, dqRaw, a.ln1, T, C, H * D);
      this.linearBackward(dln1, true, n.k, dkRaw, a.ln1, T, C, KVH * D);
      this.linearBackward(dln1, true, n.v, dv, a.ln1, T, C, KVH * D);
      ops.rmsnormBackward(dxMid, G.get(n.inputNorm), dln1, a.xIn, P.get(n.inputNorm), a.rstd1, T, C);
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
