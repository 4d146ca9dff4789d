// Which arithmetic the C layers (the native and wasm kernels) use. "exact", the default: double
// intermediates, rounded exactly as the TypeScript layers round, so that gradients are the same
// to the last bit. "fast": the attention softmax and SwiGLU's sigmoid in float, as PyTorch's CPU
// kernels compute them; faster, and different in the last bits. Chosen with WZ_LAYERS (or
// `wz train --layers`), so that every kernel of a process and its children agrees.
export const LAYER_MODES = ["exact", "fast"] as const;
export type LayerMode = (typeof LAYER_MODES)[number];

/** `value` as a layer mode; else the error `fail` makes of a message naming `what` and the choices. */
export function parseLayerMode(
  value: string,
  what: string,
  fail: (message: string) => Error = (m) => new Error(m),
): LayerMode {
  if ((LAYER_MODES as readonly string[]).includes(value)) return value as LayerMode;
  throw fail(`${what} must be one of ${LAYER_MODES.join(", ")}, got "${value}"`);
}

export function layerModeFromEnv(): LayerMode {
  const v = process.env.WZ_LAYERS;
  return v === undefined || v === "" ? "exact" : parseLayerMode(v, "WZ_LAYERS");
}
