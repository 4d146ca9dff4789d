// The reference LayerOps (the interface is in src/model/kernels/types.ts): the model's layers
// other than the matmuls. The TypeScript functions of src/model/layers.ts are the reference (any dtype, checked against PyTorch,
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
import type { ComputeBackend, LayerOps } from "./types.ts";

export type { LayerOps } from "./types.ts";

/** The reference layers, with attention's products on `kernel`. */
export function jsLayerOps(kernel: ComputeBackend): LayerOps {
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
