// The one interface the hot path goes through. Every matrix in the model is row-major.
//   NT: out[M,N] (+)= a[M,K] . b[N,K]^T   a linear layer's forward (b is a weight [out, in])
//   NN: out[M,N] (+)= a[M,K] . b[K,N]     a linear layer's input gradient (dout . W)
//   TN: out[M,N] (+)= a[K,M]^T . b[K,N]   a linear layer's weight gradient (dout^T . inp)
// With accumulate false, out is overwritten; with true, the product is added to it.

export type FloatArray = Float32Array | Float64Array;

/**
 * The model's layers other than the matmuls, as one backend computes them, written out here (not
 * as typeof the reference functions, which would make this file and layers.ts import each other).
 * The TypeScript functions of src/model/layers.ts are the reference; layer-ops.ts wraps them.
 */
export interface LayerOps {
  rmsnormForward(
    out: FloatArray,
    rstd: FloatArray,
    inp: FloatArray,
    weight: FloatArray,
    N: number,
    C: number,
    eps: number,
  ): void;
  rmsnormBackward(
    dinp: FloatArray,
    dweight: FloatArray,
    dout: FloatArray,
    inp: FloatArray,
    weight: FloatArray,
    rstd: FloatArray,
    N: number,
    C: number,
  ): void;
  ropeForward(x: FloatArray, T: number, H: number, D: number, cos: Float64Array, sin: Float64Array): void;
  ropeBackward(dx: FloatArray, T: number, H: number, D: number, cos: Float64Array, sin: Float64Array): void;
  /** The backend does the products itself (layers.ts's attentionForward takes a kernel for them). */
  attentionForward(
    out: FloatArray,
    att: FloatArray,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    T: number,
    H: number,
    KVH: number,
    D: number,
  ): void;
  /** Accumulates into dq, dk and dv. */
  attentionBackward(
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
  ): void;
  swigluForward(h: FloatArray, sig: FloatArray, gate: FloatArray, up: FloatArray, N: number): void;
  swigluBackward(
    dgate: FloatArray,
    dup: FloatArray,
    dh: FloatArray,
    sig: FloatArray,
    gate: FloatArray,
    up: FloatArray,
    N: number,
  ): void;
  /** out[i] += x[i] for i < n (the residual stream). */
  addInto(out: FloatArray, x: FloatArray, n: number): void;
  logSoftmaxForward(
    logp: Float64Array,
    entropy: Float64Array,
    probs: FloatArray,
    logits: FloatArray,
    targets: ArrayLike<number>,
    T: number,
    V: number,
  ): void;
  logSoftmaxBackward(
    dlogits: FloatArray,
    dlogp: ArrayLike<number>,
    probs: FloatArray,
    targets: ArrayLike<number>,
    T: number,
    V: number,
  ): void;
}

export interface ComputeBackend {
  readonly name: string;
  /** The other layers on this backend (src/model/kernels/layer-ops.ts); absent: the TypeScript ones. */
  readonly layers?: LayerOps;
  /** Threads this backend splits its work over (1 when it runs on the calling thread only). */
  readonly threads?: number;
  /**
   * n zeroed floats in the backend's own memory, which it reads and writes in place (no copy in or
   * out); null when it has no room. Absent: the backend works on any array as it is.
   */
  allocate?(n: number): Float32Array | null;
  matmulNT(
    out: FloatArray,
    a: FloatArray,
    b: FloatArray,
    M: number,
    K: number,
    N: number,
    accumulate: boolean,
  ): void;
  matmulNN(
    out: FloatArray,
    a: FloatArray,
    b: FloatArray,
    M: number,
    K: number,
    N: number,
    accumulate: boolean,
  ): void;
  matmulTN(
    out: FloatArray,
    a: FloatArray,
    b: FloatArray,
    M: number,
    K: number,
    N: number,
    accumulate: boolean,
  ): void;
}
