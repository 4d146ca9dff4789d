// The optional fast path: OpenBLAS's cblas_sgemm through a small N-API addon (native/blas, built
// at install when libopenblas-dev is present). No copies: the addon reads the Float32Array views.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { referenceKernel } from "./reference.ts";
import type { MatmulKernel } from "./types.ts";

interface BlasAddon {
  sgemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  setThreads(n: number): void;
}

const ADDON = fileURLToPath(new URL("../../../native/blas/build/Release/wz_blas.node", import.meta.url));

export function blasAvailable(): boolean {
  return existsSync(ADDON);
}

/** The OpenBLAS kernel, or null when the addon was not built. `threads` > 1 uses both cores. */
export function createBlasKernel(threads = 1): MatmulKernel | null {
  if (!blasAvailable()) return null;
  const blas = createRequire(import.meta.url)(ADDON) as BlasAddon;
  blas.setThreads(threads);
  return {
    name: threads > 1 ? `openblas-${threads}t` : "openblas",
    matmulNT(out, a, b, M, K, N, acc) {
      if (!(a instanceof Float32Array)) return referenceKernel.matmulNT(out, a, b, M, K, N, acc);
      blas.sgemm(0, 1, M, N, K, a, K, b as Float32Array, K, acc ? 1 : 0, out as Float32Array, N);
    },
    matmulNN(out, a, b, M, K, N, acc) {
      if (!(a instanceof Float32Array)) return referenceKernel.matmulNN(out, a, b, M, K, N, acc);
      blas.sgemm(0, 0, M, N, K, a, K, b as Float32Array, N, acc ? 1 : 0, out as Float32Array, N);
    },
    matmulTN(out, a, b, M, K, N, acc) {
      if (!(a instanceof Float32Array)) return referenceKernel.matmulTN(out, a, b, M, K, N, acc);
      blas.sgemm(1, 0, M, N, K, a, M, b as Float32Array, N, acc ? 1 : 0, out as Float32Array, N);
    },
  };
}
