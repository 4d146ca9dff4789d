// The native fast path: a BLAS's sgemm and the model's other layers in C, on the Float32Array
// views themselves, no copies. Two builds of the same C (scripts/build-blas.mjs, run by npm ci):
// on OpenBLAS (native/blas, when libopenblas-dev is present) and on Intel MKL (native/blas-mkl,
// when MKL is found; faster products on Intel cores, other bits). Work is split over `threads`
// threads along rows and attention heads only, so the thread count never changes a result
// (test/model/native-layers.test.ts checks it bit for bit, on each build).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { type LayerMode, layerModeFromEnv } from "./layer-mode.ts";
import { jsLayerOps, type LayerOps } from "./layer-ops.ts";
import { referenceKernel } from "./reference.ts";
import type { ComputeBackend, FloatArray } from "./types.ts";

type F32 = Float32Array;
type F64 = Float64Array;

interface NativeAddon {
  sgemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    A: F32,
    lda: number,
    B: F32,
    ldb: number,
    beta: number,
    C: F32,
    ldc: number,
  ): void;
  setThreads(n: number): void;
  /** The BLAS the build calls, as it names itself ("OpenBLAS 0.3.21 ...", "Intel(R) oneAPI Math Kernel Library ..."). */
  blasName(): string;
  setFastLayers(on: number): void;
  /** The fast layers' float exp, for tests. */
  fastExp(x: number): number;
  rmsnormForward(out: F32, rstd: F32, inp: F32, weight: F32, N: number, C: number, eps: number): void;
  rmsnormBackward(
    dinp: F32,
    dweight: F32,
    dout: F32,
    inp: F32,
    weight: F32,
    rstd: F32,
    N: number,
    C: number,
  ): void;
  rope(x: F32, T: number, H: number, D: number, cos: F64, sin: F64, backward: number): void;
  swigluForward(h: F32, sig: F32, gate: F32, up: F32, N: number): void;
  swigluBackward(dgate: F32, dup: F32, dh: F32, sig: F32, gate: F32, up: F32, N: number): void;
  addInto(out: F32, x: F32, N: number): void;
  attentionForward(
    out: F32,
    att: F32,
    q: F32,
    k: F32,
    v: F32,
    T: number,
    H: number,
    KVH: number,
    D: number,
  ): void;
  attentionBackward(
    dq: F32,
    dk: F32,
    dv: F32,
    dout: F32,
    att: F32,
    q: F32,
    k: F32,
    v: F32,
    T: number,
    H: number,
    KVH: number,
    D: number,
  ): void;
  logSoftmaxForward(
    logp: F64,
    entropy: F64,
    probs: F32,
    logits: F32,
    targets: Int32Array,
    T: number,
    V: number,
  ): void;
  logSoftmaxBackward(dlogits: F32, dlogp: F64, probs: F32, targets: Int32Array, T: number, V: number): void;
}

/** The BLAS a native build calls: OpenBLAS (the `blas` kernel) or Intel MKL (the `mkl` kernel). */
export type NativeBlas = "openblas" | "mkl";

const ADDONS: Record<NativeBlas, string> = {
  openblas: fileURLToPath(new URL("../../../native/blas/build/Release/wz_blas.node", import.meta.url)),
  mkl: fileURLToPath(new URL("../../../native/blas-mkl/build/Release/wz_blas_mkl.node", import.meta.url)),
};

export function blasAvailable(blas: NativeBlas = "openblas"): boolean {
  return existsSync(ADDONS[blas]);
}

const loaded = new Map<NativeBlas, { addon: NativeAddon; threads: number; layers: LayerMode | null }>();

/** The build's addon, loaded once a process; an error that says how to rebuild it if it cannot load. */
function loadAddon(blas: NativeBlas): { addon: NativeAddon; threads: number; layers: LayerMode | null } {
  let entry = loaded.get(blas);
  if (!entry) {
    try {
      entry = {
        addon: createRequire(import.meta.url)(ADDONS[blas]) as NativeAddon,
        threads: 0,
        layers: null,
      };
    } catch (e) {
      // e.g. the MKL build's libraries were in a .venv that has since been removed.
      throw new Error(
        `the native addon on ${blas} (${ADDONS[blas]}) is built but does not load: ${(e as Error).message.split("\n")[0]}; rebuild it with node scripts/build-blas.mjs`,
      );
    }
    loaded.set(blas, entry);
  }
  return entry;
}

/** The name a build's BLAS gives itself, or null when that build is not there. */
export function nativeBlasName(blas: NativeBlas = "openblas"): string | null {
  return blasAvailable(blas) ? loadAddon(blas).addon.blasName() : null;
}

/** Threads for training when none is asked for: WZ_THREADS, else every core. */
export function defaultThreads(): number {
  const env = Number(process.env.WZ_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

const isF32 = (x: FloatArray): x is F32 => x instanceof Float32Array;
const f64 = (x: ArrayLike<number>): F64 => (x instanceof Float64Array ? x : Float64Array.from(x));
const i32 = (x: ArrayLike<number>): Int32Array => (x instanceof Int32Array ? x : Int32Array.from(x));

/** The native layers for float32 arrays; float64 (gradient checks) goes to the TypeScript ones. */
function nativeLayerOps(native: () => NativeAddon, js: LayerOps): LayerOps {
  return {
    rmsnormForward(out, rstd, inp, weight, N, C, eps) {
      if (!isF32(out)) return js.rmsnormForward(out, rstd, inp, weight, N, C, eps);
      native().rmsnormForward(out, rstd as F32, inp as F32, weight as F32, N, C, eps);
    },
    rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C) {
      if (!isF32(dinp)) return js.rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
      native().rmsnormBackward(
        dinp,
        dweight as F32,
        dout as F32,
        inp as F32,
        weight as F32,
        rstd as F32,
        N,
        C,
      );
    },
    ropeForward(x, T, H, D, cos, sin) {
      if (!isF32(x)) return js.ropeForward(x, T, H, D, cos, sin);
      native().rope(x, T, H, D, cos, sin, 0);
    },
    ropeBackward(dx, T, H, D, cos, sin) {
      if (!isF32(dx)) return js.ropeBackward(dx, T, H, D, cos, sin);
      native().rope(dx, T, H, D, cos, sin, 1);
    },
    attentionForward(out, att, q, k, v, T, H, KVH, D) {
      if (!isF32(out)) return js.attentionForward(out, att, q, k, v, T, H, KVH, D);
      native().attentionForward(out, att as F32, q as F32, k as F32, v as F32, T, H, KVH, D);
    },
    attentionBackward(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D) {
      if (!isF32(dq)) return js.attentionBackward(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D);
      native().attentionBackward(
        dq,
        dk as F32,
        dv as F32,
        dout as F32,
        att as F32,
        q as F32,
        k as F32,
        v as F32,
        T,
        H,
        KVH,
        D,
      );
    },
    swigluForward(h, sig, gate, up, N) {
      if (!isF32(h)) return js.swigluForward(h, sig, gate, up, N);
      native().swigluForward(h, sig as F32, gate as F32, up as F32, N);
    },
    swigluBackward(dgate, dup, dh, sig, gate, up, N) {
      if (!isF32(dgate)) return js.swigluBackward(dgate, dup, dh, sig, gate, up, N);
      native().swigluBackward(dgate, dup as F32, dh as F32, sig as F32, gate as F32, up as F32, N);
    },
    addInto(out, x, N) {
      if (!isF32(out)) return js.addInto(out, x, N);
      native().addInto(out, x as F32, N);
    },
    logSoftmaxForward(logp, entropy, probs, logits, targets, T, V) {
      if (!isF32(probs)) return js.logSoftmaxForward(logp, entropy, probs, logits, targets, T, V);
      native().logSoftmaxForward(logp, entropy, probs, logits as F32, i32(targets), T, V);
    },
    logSoftmaxBackward(dlogits, dlogp, probs, targets, T, V) {
      if (!isF32(dlogits)) return js.logSoftmaxBackward(dlogits, dlogp, probs, targets, T, V);
      native().logSoftmaxBackward(dlogits, f64(dlogp), probs as F32, i32(targets), T, V);
    },
  };
}

/** The fast layers' exp (float), from a built addon; null when none is built. */
export function nativeFastExp(): ((x: number) => number) | null {
  const blas = (["openblas", "mkl"] as const).find((b) => blasAvailable(b));
  if (!blas) return null;
  const { addon } = loadAddon(blas);
  return (x) => addon.fastExp(x);
}

/**
 * The native kernel on the given BLAS's build, or null when that build is not there. `layers`:
 * the C layers' arithmetic (default WZ_LAYERS, else exact; src/model/kernels/layer-mode.ts).
 */
export function createBlasKernel(
  threads = 1,
  blas: NativeBlas = "openblas",
  layers: LayerMode = layerModeFromEnv(),
): ComputeBackend | null {
  if (!blasAvailable(blas)) return null;
  const entry = loadAddon(blas);
  // One addon a build serves the process; each kernel sets its own thread count and layer
  // arithmetic before it computes.
  const native = () => {
    if (entry.threads !== threads) {
      entry.addon.setThreads(threads);
      entry.threads = threads;
    }
    if (entry.layers !== layers) {
      entry.addon.setFastLayers(layers === "fast" ? 1 : 0);
      entry.layers = layers;
    }
    return entry.addon;
  };
  const matmuls: ComputeBackend = {
    name: `${threads > 1 ? `${blas}-${threads}t` : blas}${layers === "fast" ? "-fast" : ""}`,
    threads,
    matmulNT(out, a, b, M, K, N, acc) {
      if (!isF32(a)) return referenceKernel.matmulNT(out, a, b, M, K, N, acc);
      native().sgemm(0, 1, M, N, K, a, K, b as F32, K, acc ? 1 : 0, out as F32, N);
    },
    matmulNN(out, a, b, M, K, N, acc) {
      if (!isF32(a)) return referenceKernel.matmulNN(out, a, b, M, K, N, acc);
      native().sgemm(0, 0, M, N, K, a, K, b as F32, N, acc ? 1 : 0, out as F32, N);
    },
    matmulTN(out, a, b, M, K, N, acc) {
      if (!isF32(a)) return referenceKernel.matmulTN(out, a, b, M, K, N, acc);
      native().sgemm(1, 0, M, N, K, a, M, b as F32, N, acc ? 1 : 0, out as F32, N);
    },
  };
  return { ...matmuls, layers: nativeLayerOps(native, jsLayerOps(matmuls)) };
}
