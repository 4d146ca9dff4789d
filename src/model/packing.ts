// Packing: which sequences share one forward and backward pass. Stacking short sequences turns
// many small matmuls into a few large ones (which also split over the cores); the memory a pass
// keeps grows with its rows, so packs are cut to a budget of activation memory.
import type { ModelConfig } from "./config.ts";

/** The default budget of activation memory for one packed pass. */
export const DEFAULT_PACK_MIB = 256;

/**
 * Bytes a forward pass keeps (and its backward's scratch) for each row, with sequences of up to
 * `maxLen` tokens: every layer's activations, the attention probabilities, the logits and their
 * gradient. An estimate to size packs with, within a few per cent of the workspaces' bytes.
 */
export function bytesPerRow(cfg: ModelConfig, maxLen: number): number {
  const C = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKVHeads * cfg.headDim;
  const F = cfg.intermediateSize;
  const layer = 5 * C + 4 * q + 4 * kv + 4 * F + cfg.numHeads * (maxLen + 2);
  return 4 * (cfg.numLayers * layer + 3 * cfg.vocabSize + 3 * F + 6 * C);
}

/**
 * Groups item indices, in order, into packs of at most `maxRows` rows in all (an item longer than
 * that is a pack of its own). maxRows 0 or less: one item a pack.
 */
export function packIndices(lengths: number[], maxRows: number): number[][] {
  const packs: number[][] = [];
  let current: number[] = [];
  let rows = 0;
  lengths.forEach((len, i) => {
    if (current.length > 0 && (maxRows <= 0 || rows + len > maxRows)) {
      packs.push(current);
      current = [];
      rows = 0;
    }
    current.push(i);
    rows += len;
  });
  if (current.length > 0) packs.push(current);
  return packs;
}

/** Rows a pass may hold within `mib` MiB of activations (0 MiB: no packing). */
export function rowsWithin(cfg: ModelConfig, mib: number, maxLen: number): number {
  return mib <= 0 ? 0 : Math.floor((mib * 2 ** 20) / bytesPerRow(cfg, maxLen));
}
