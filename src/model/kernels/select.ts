// Picks the compute backend at start-up: the native addon (OpenBLAS and the layers in C) when it
// was built; else the portable WebAssembly kernel (the same C layers compiled to wasm, and its own
// products); all on `threads` threads (default: WZ_THREADS, else every core). `mkl` is the native
// addon built on Intel MKL instead: faster products on Intel cores, but other bits than OpenBLAS,
// so it is asked for by name and `auto` keeps OpenBLAS (the figures in docs/ were made on it).
// `reference` forces plain TypeScript.
import { createBlasKernel, defaultThreads } from "./blas.ts";
import { type LayerMode, layerModeFromEnv } from "./layer-mode.ts";
import { referenceKernel } from "./reference.ts";
import type { ComputeBackend } from "./types.ts";
import { createWasmKernel } from "./wasm.ts";

export const KERNELS = ["auto", "blas", "mkl", "wasm", "reference"] as const;

/** The name a run records for its kernel, so that a resume picks the same arithmetic. */
export function kernelFamily(kernel: ComputeBackend): (typeof KERNELS)[number] {
  if (kernel.name.startsWith("openblas")) return "blas";
  if (kernel.name.startsWith("mkl")) return "mkl";
  if (kernel.name.startsWith("wasm-simd")) return "wasm";
  if (kernel.name === "reference") return "reference";
  return "auto";
}

/**
 * The kernel named, on `threads` threads with `layers` arithmetic: values, passed down by the
 * caller (WZ_THREADS and WZ_LAYERS are only the defaults when a caller passes none).
 */
export async function selectKernel(
  name = "auto",
  threads = defaultThreads(),
  layers: LayerMode = layerModeFromEnv(),
): Promise<ComputeBackend> {
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`threads must be a positive integer, got ${threads}`);
  if (name === "reference") return referenceKernel;
  if (name === "wasm") return createWasmKernel({ threads, layerMode: layers });
  if (name === "blas") {
    const k = createBlasKernel(threads, "openblas", layers);
    if (!k)
      throw new Error("the OpenBLAS kernel is not built (apt-get install libopenblas-dev, then npm ci)");
    return k;
  }
  if (name === "mkl") {
    const k = createBlasKernel(threads, "mkl", layers);
    if (!k)
      throw new Error(
        "the MKL kernel is not built (bash scripts/setup-python.sh installs MKL into .venv, or set WZ_MKL_ROOT; then node scripts/build-blas.mjs)",
      );
    return k;
  }
  if (name === "auto") {
    const blas = createBlasKernel(threads, "openblas", layers);
    if (blas) return blas;
    try {
      const mkl = createBlasKernel(threads, "mkl", layers);
      if (mkl) return mkl;
    } catch {
      // built, but its libraries are gone: the next kernel
    }
    try {
      return await createWasmKernel({ threads, layerMode: layers });
    } catch {
      return referenceKernel;
    }
  }
  throw new Error(`unknown kernel "${name}" (expected ${KERNELS.join(", ")})`);
}
