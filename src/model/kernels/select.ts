// Picks the matmul kernel at start-up: OpenBLAS when its addon was built (fastest), else the
// portable WebAssembly SIMD kernel; `reference` forces the plain TypeScript kernel.
import { createBlasKernel } from "./blas.ts";
import { referenceKernel } from "./reference.ts";
import type { MatmulKernel } from "./types.ts";
import { createWasmKernel } from "./wasm.ts";

export const KERNELS = ["auto", "blas", "wasm", "reference"] as const;

export async function selectKernel(name = "auto"): Promise<MatmulKernel> {
  if (name === "reference") return referenceKernel;
  if (name === "wasm") return createWasmKernel();
  if (name === "blas") {
    const k = createBlasKernel(1);
    if (!k)
      throw new Error("the OpenBLAS kernel is not built (apt-get install libopenblas-dev, then npm ci)");
    return k;
  }
  if (name === "auto") {
    const blas = createBlasKernel(1);
    if (blas) return blas;
    try {
      return await createWasmKernel();
    } catch {
      return referenceKernel;
    }
  }
  throw new Error(`unknown kernel "${name}" (expected ${KERNELS.join(", ")})`);
}
