// The model's layers other than the matmuls, as one backend computes them. The TypeScript
// functions of src/model/layers.ts are the reference (any dtype, checked against PyTorch,
// llama.cpp and finite differences); the native addon implements the same arithmetic in C for
// float32 (native/blas/layers.c), with attention heads and rows split over the cores.
import {
  attentionBackward,
  attentionForward,
  logSoftmaxBackward,
  logSoftmaxForward,
  rmsnormBackward,
  rmsnormForward,
  ropeBackward,
  ropeForward,
  swigluBackward,
  swigluForward,
} from "../layers.ts";
import type { FloatArray, MatmulKernel } from "./types.ts";

export interface LayerOps {
  rmsnormForward: typeof rmsnormForward;
  rmsnormBackward: typeof rmsnormBackward;
  ropeForward: typeof ropeForward;
  ropeBackward: typeof ropeBackward;
  /** q [T, H, D], k and v [T, KVH, D] -> out [T, H, D]; att [H, T, T] keeps the probabilities. */
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
  swigluForward: typeof swigluForward;
  swigluBackward: typeof swigluBackward;
  /** out[i] += x[i] for i < n (the residual stream). */
  addInto(out: FloatArray, x: FloatArray, n: number): void;
  logSoftmaxForward: typeof logSoftmaxForward;
  logSoftmaxBackward: typeof logSoftmaxBackward;
}

/** The reference layers, with attention's products on `kernel`. */
export function jsLayerOps(kernel: MatmulKernel): LayerOps {
  return {
    rmsnormForward,
    rmsnormBackward,
    ropeForward,
    ropeBackward,
    attentionForward: (out, att, q, k, v, T, H, KVH, D) =>
      attentionForward(out, att, q, k, v, T, H, KVH, D, kernel),
    attentionBackward: (dq, dk, dv, dout, att, q, k, v, T, H, KVH, D) =>
      attentionBackward(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D, kernel),
    swigluForward,
    swigluBackward,
    addInto(out, x, n) {
      for (let i = 0; i < n; i++) out[i] += x[i];
    },
    logSoftmaxForward,
    logSoftmaxBackward,
  };
}
