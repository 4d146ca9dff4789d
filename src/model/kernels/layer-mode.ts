// Which arithmetic the C layers (the native and wasm kernels) use. "exact", the default: double
// intermediates, rounded exactly as the TypeScript layers round, so that gradients are the same
// to the last bit. "fast": the attention softmax and SwiGLU's sigmoid in float, as PyTorch's CPU
// kernels compute them; faster, and different in the last bits. Chosen with WZ_LAYERS (or
// `wz train --layers`), so that every kernel of a process and its children agrees.
export const LAYER_MODES = ["exact", "fast"] as const;
export type LayerMode = (typeof LAYER_MODES)[number];

export function layerModeFromEnv(): LayerMode {
  const v = process.env.WZ_LAYERS;
  if (v === undefined || v === "") return "exact";
  if ((LAYER_MODES as readonly string[]).includes(v)) return v as LayerMode;
  throw new Error(`WZ_LAYERS must be one of ${LAYER_MODES.join(", ")}, got "${v}"`);
}
