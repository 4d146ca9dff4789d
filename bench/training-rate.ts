// Training tokens/s of our engine: forward and backward over one sequence, repeated for a fixed
// time (gradients accumulate; no optimizer step, as in PyTorch's peer scripts). Shared by
// bench:engine and bench:real.
import type { DecoderModel } from "../src/model/decoder.ts";

export function trainingRate(model: DecoderModel, tokens: number[], seconds: number): number {
  const targets = tokens.slice(1).concat([-1]);
  const d = new Float64Array(tokens.length).fill(-1 / tokens.length);
  model.zeroGrad();
  let done = 0;
  const t0 = performance.now();
  do {
    model.forward(tokens, targets);
    model.backward(d);
    done += tokens.length;
  } while (performance.now() - t0 < seconds * 1000);
  return done / ((performance.now() - t0) / 1000);
}
