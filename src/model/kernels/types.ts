// The one interface the hot path goes through. Every matrix in the model is row-major.
//   NT: out[M,N] (+)= a[M,K] . b[N,K]^T   a linear layer's forward (b is a weight [out, in])
//   NN: out[M,N] (+)= a[M,K] . b[K,N]     a linear layer's input gradient (dout . W)
//   TN: out[M,N] (+)= a[K,M]^T . b[K,N]   a linear layer's weight gradient (dout^T . inp)
// With accumulate false, out is overwritten; with true, the product is added to it.

import type { LayerOps } from "./layer-ops.ts";

export type FloatArray = Float32Array | Float64Array;

export interface MatmulKernel {
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
