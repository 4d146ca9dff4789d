// Picks the compute backend at start-up: the native addon (OpenBLAS and the layers in C) when it
// was built, fastest; else the portable WebAssembly kernel (the products, split over the threads,
// and the same C layers on the calling thread); both on `threads` threads (default: WZ_THREADS,
// else every core). `reference` forces plain TypeScript.
import { createBlasKernel, defaultThreads } from "./blas.ts";
import { referenceKernel } from "./reference.ts";
import type { MatmulKernel } from "./types.ts";
import { createWasmKernel } from "./wasm.ts";

export const KERNELS = ["auto", "blas", "wasm", "reference"] as const;

/** The name a run records for its kernel, so that a resume picks the same arithmetic. */
export function kernelFamily(kernel: MatmulKernel): (typeof KERNELS)[number] {
  if (kernel.name.startsWith("openblas")) return "blas";
  if (kernel.name.startsWith("wasm-simd")) return "wasm";
  if (kernel.name === "reference") return "reference";
  return "auto";
}

export async function selectKernel(name = "auto", threads = defaultThreads()): Promise<MatmulKernel> {
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`threads must be a positive integer, got ${threads}`);
  if (name === "reference") return referenceKernel;
  if (name === "wasm") return createWasmKernel({ threads });
  if (name === "blas") {
    const k = createBlasKernel(threads);
    if (!k)
      throw new Error("the OpenBLAS kernel is not built (apt-get install libopenblas-dev, then npm ci)");
    return k;
  }
  if (name === "auto") {
    const blas = createBlasKernel(threads);
    if (blas) return blas;
    try {
      return await createWasmKernel({ threads });
    } catch {
      return referenceKernel;
    }
  }
  throw new Error(`unknown kernel "${name}" (expected ${KERNELS.join(", ")})`);
}
