// How fast a training step could be if everything but its matrix products were free: the linear
// layers' products of one forward and backward (q, k, v, o, the MLP's three and the LM head),
// recorded as the model makes them and then replayed alone on the same kernel, as tokens/s. It
// leaves out attention's products (inside the attention layer), so it is an upper bound: no
// implementation built on these matmuls trains faster. bench:engine sets it beside PyTorch.

import type { DecoderModel } from "../src/model/decoder.ts";
import type { ComputeBackend } from "../src/model/kernels/types.ts";

type Product = "matmulNT" | "matmulNN" | "matmulTN";
type Call = { product: Product; args: Parameters<ComputeBackend["matmulNT"]> };

export function matmulFloor(model: DecoderModel, tokens: number[], seconds: number): number {
  const kernel = model.kernel;
  const calls: Call[] = [];
  const record =
    (product: Product) =>
    (...args: Call["args"]) => {
      calls.push({ product, args });
      kernel[product](...args);
    };
  model.kernel = {
    ...kernel,
    matmulNT: record("matmulNT"),
    matmulNN: record("matmulNN"),
    matmulTN: record("matmulTN"),
  };
  const targets = tokens.slice(1).concat([-1]);
  model.zeroGrad();
  model.forward(tokens, targets);
  model.backward(new Float64Array(tokens.length).fill(-1 / tokens.length));
  model.kernel = kernel;
  // The recorded arrays are the model's own buffers: replaying writes over them, which is fine
  // for timing (the products' cost does not depend on the values).
  let done = 0;
  const t0 = performance.now();
  do {
    for (const { product, args } of calls) kernel[product](...args);
    done += tokens.length;
  } while (performance.now() - t0 < seconds * 1000);
  return done / ((performance.now() - t0) / 1000);
}
