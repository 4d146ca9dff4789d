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

/** A parameter list without its last entry (the attention functions' matmul kernel). */
type WithoutKernel<P extends unknown[]> = P extends [...infer Rest, MatmulKernel] ? Rest : never;

export interface LayerOps {
  rmsnormForward: typeof rmsnormForward;
  rmsnormBackward: typeof rmsnormBackward;
  ropeForward: typeof ropeForward;
  ropeBackward: typeof ropeBackward;
  /** attentionForward of layers.ts without its kernel argument: the backend does the products. */
  attentionForward: (...args: WithoutKernel<Parameters<typeof attentionForward>>) => void;
  /** attentionBackward of layers.ts without its kernel argument; accumulates into dq, dk and dv. */
  attentionBackward: (...args: WithoutKernel<Parameters<typeof attentionBackward>>) => void;
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
