// Picks the matmul kernel at start-up: the portable WebAssembly SIMD kernel by default, the plain
// TypeScript reference kernel when forced (or if WebAssembly SIMD is unavailable).
import { referenceKernel } from "./reference.ts";
import type { MatmulKernel } from "./types.ts";
import { createWasmKernel } from "./wasm.ts";

export const KERNELS = ["auto", "wasm", "reference"] as const;

export async function selectKernel(name = "auto"): Promise<MatmulKernel> {
  if (name === "reference") return referenceKernel;
  if (name === "wasm") return createWasmKernel();
  if (name === "auto") {
    try {
      return await createWasmKernel();
    } catch {
      return referenceKernel;
    }
  }
  throw new Error(`unknown kernel "${name}" (expected ${KERNELS.join(", ")})`);
}
