// Picks the matmul kernel at start-up: the fastest available unless one is forced.
import { referenceKernel } from "./reference.ts";
import type { MatmulKernel } from "./types.ts";

export async function selectKernel(name = "auto"): Promise<MatmulKernel> {
  if (name === "reference") return referenceKernel;
  if (name === "auto") return referenceKernel;
  throw new Error(`unknown kernel "${name}" (expected auto or reference)`);
}
