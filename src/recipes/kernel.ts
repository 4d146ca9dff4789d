// The compute backend a recipe runs on, from the user's choices. A resumed run keeps the kernel
// and the layers' arithmetic it started with: another kernel rounds differently, and a resume
// must reproduce the uninterrupted run exactly.

import { ConfigError } from "../data/config-file.ts";
import { defaultThreads } from "../model/kernels/blas.ts";
import { type LayerMode, layerModeFromEnv, parseLayerMode } from "../model/kernels/layer-mode.ts";
import { selectKernel } from "../model/kernels/select.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";

export interface KernelChoice {
  /** auto, blas, mkl, wasm or reference. */
  kernel: string;
  /** Threads the native and wasm kernels split work over (default: WZ_THREADS, else every core). */
  threads?: number;
  /** exact or fast (default: WZ_LAYERS, else exact). */
  layers?: string;
}

export async function chooseKernel(
  choice: KernelChoice,
  resumed?: { kernel?: string; layers?: LayerMode },
): Promise<{ kernel: ComputeBackend; layers: LayerMode }> {
  let name = choice.kernel;
  if (resumed && name === "auto") name = resumed.kernel ?? "auto";
  const threads = choice.threads ?? defaultThreads();
  const flag = choice.layers ?? resumed?.layers;
  const layers =
    flag === undefined ? layerModeFromEnv() : parseLayerMode(flag, "--layers", (m) => new ConfigError(m));
  return { kernel: await selectKernel(name, threads, layers), layers };
}
