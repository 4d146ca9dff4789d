// The native layers (native/blas/layers.c) against the TypeScript layers they replace. The
// TypeScript layers are the reference: they match PyTorch, llama.cpp and finite differences in the
// other tests. With the same matmuls, the C layers are written to round exactly as the TypeScript
// ones, so gradients must agree bit for bit; and splitting the work over threads must not change
// a single bit either. Also: the model's workspaces stop allocating once a shape has been seen.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DecoderModel } from "../../src/model/decoder.ts";
import {
  blasAvailable,
  createBlasKernel,
  nativeBlasName,
  nativeFastExp,
} from "../../src/model/kernels/blas.ts";
import { layerModeFromEnv } from "../../src/model/kernels/layer-mode.ts";
import { kernelFamily, selectKernel } from "../../src/model/kernels/select.ts";
import type { ComputeBackend } from "../../src/model/kernels/types.ts";
import { createWasmKernel } from "../../src/model/kernels/wasm.ts";
import { initParams } from "../../src/model/params.ts";
import { closeButNotSame, pass, sameBits, shapes, withEnv } from "../helpers/layer-parity.ts";
import { randomTokens, tinyConfig } from "../helpers/models.ts";
import { unlessCi } from "../helpers/requirement.ts";

const skip = unlessCi(
  !blasAvailable() && "the native addon is not built (apt-get install libopenblas-dev, then npm ci)",
);
const skipMkl = unlessCi(
  !blasAvailable("mkl") &&
    "the native addon on MKL is not built (bash scripts/setup-python.sh, then node scripts/build-blas.mjs)",
);

// The same C on either BLAS: the layers must round as the TypeScript ones given that BLAS's
// products, and the thread count must change nothing, on both builds.
for (const [blas, skipIt] of [
  ["openblas", skip],
  ["mkl", skipMkl],
] as const) {
  describe(`native layers on ${blas}`, { skip: skipIt }, () => {
    test("the build calls the BLAS it is named for", () => {
      const want = blas === "mkl" ? /^Intel\(R\) .*Math Kernel Library/ : /^OpenBLAS /;
      assert.match(nativeBlasName(blas) ?? "", want);
    });

    for (const { name, cfg, T = 37 } of shapes) {
      for (const withLora of [false, true]) {
        test(`round exactly as the TypeScript layers (${name}${withLora ? ", LoRA" : ""})`, () => {
          const native = createBlasKernel(1, blas)!;
          const typescript: ComputeBackend = { ...native, layers: undefined };
          const want = pass(typescript, cfg, T, withLora);
          const got = pass(native, cfg, T, withLora);
          sameBits(got.grads, want.grads, "gradients");
          if (withLora) sameBits(got.lora!, want.lora!, "adapter gradients");
          // exp and log come from libm instead of V8: the float64 outputs may differ by an ulp or so.
          for (let t = 0; t < T; t++) {
            assert.ok(Math.abs(got.logprobs[t] - want.logprobs[t]) < 1e-12, `logprob ${t}`);
            assert.ok(Math.abs(got.entropy[t] - want.entropy[t]) < 1e-12, `entropy ${t}`);
          }
        });
      }
    }

    test("two threads give the same bits as one", () => {
      const cfg = shapes[2].cfg;
      for (const T of [160, 211]) {
        const one = pass(createBlasKernel(1, blas)!, cfg, T, true);
        const two = pass(createBlasKernel(2, blas)!, cfg, T, true);
        sameBits(two.grads, one.grads, `T=${T} gradients`);
        sameBits(two.lora!, one.lora!, `T=${T} adapter gradients`);
        sameBits(two.logprobs, one.logprobs, `T=${T} log-probabilities`);
      }
    });
  });
}

// The fast layers (WZ_LAYERS=fast) trade the last bits for speed: they must stay close to the exact
// layers, differ from them (or the switch does nothing), and still not depend on the thread count.
describe("fast layers", { skip }, () => {
  test("their float exp is within a few float ulps of exp, and 0 where float underflows", () => {
    const exp = nativeFastExp()!;
    let worst = 0;
    for (let x = -87; x <= 88; x += 0.01237) {
      const want = Math.exp(Math.fround(x));
      worst = Math.max(worst, Math.abs(exp(x) - want) / want);
    }
    assert.ok(worst < 4 * 2 ** -23, `worst relative error ${worst}`);
    assert.ok(worst > 0, "a float exp cannot be exact everywhere");
    assert.equal(exp(0), 1);
    assert.equal(exp(-88), 0);
    assert.equal(exp(-1000), 0);
  });

  for (const { name, cfg, T = 37 } of [shapes[0], shapes[3]]) {
    test(`stay within float rounding of the exact layers (${name})`, () => {
      const exact = pass(createBlasKernel(1, "openblas", "exact")!, cfg, T, false);
      const fast = pass(createBlasKernel(1, "openblas", "fast")!, cfg, T, false);
      closeButNotSame(fast.grads, exact.grads, "gradients");
      // Float rounding through the layers: about 1e-6 of a log-probability, relative.
      for (let t = 0; t < T; t++) {
        const [got, want] = [fast.logprobs[t], exact.logprobs[t]];
        assert.ok(
          Math.abs(got - want) < 1e-5 * Math.max(1, Math.abs(want)),
          `logprob ${t}: ${got} vs ${want}`,
        );
      }
    });
  }

  test("two threads give the same bits as one, and the kernel says it is fast", () => {
    const one = createBlasKernel(1, "openblas", "fast")!;
    const two = createBlasKernel(2, "openblas", "fast")!;
    assert.equal(two.name, "openblas-2t-fast");
    for (const T of [160, 211]) {
      const a = pass(one, shapes[2].cfg, T, true);
      const b = pass(two, shapes[2].cfg, T, true);
      sameBits(b.grads, a.grads, `T=${T} gradients`);
      sameBits(b.logprobs, a.logprobs, `T=${T} log-probabilities`);
    }
  });

  test("WZ_LAYERS picks them, and a wrong value is an error that names the choices", () =>
    withEnv({ WZ_LAYERS: "fast" }, () => {
      assert.equal(createBlasKernel(1)!.name, "openblas-fast");
      process.env.WZ_LAYERS = "quick";
      assert.throws(() => layerModeFromEnv(), /WZ_LAYERS must be one of exact, fast, got "quick"/);
      delete process.env.WZ_LAYERS;
      assert.equal(createBlasKernel(1)!.name, "openblas");
    }));
});

describe("workspaces", () => {
  for (const kernelName of ["native", "typescript", "wasm"] as const) {
    test(`steady-state training allocates no buffers and the heap does not grow (${kernelName} layers)`, {
      skip: kernelName === "native" ? skip : false,
    }, async () => {
      const cfg = tinyConfig({
        hiddenSize: 32,
        numHeads: 4,
        numKVHeads: 2,
        headDim: 8,
        intermediateSize: 64,
      });
      const kernel =
        kernelName === "native"
          ? createBlasKernel(1)!
          : kernelName === "wasm"
            ? await createWasmKernel()
            : undefined;
      const model = new DecoderModel(cfg, "f32", { kernel });
      initParams(model.params, cfg, 1, 0.2);
      const step = (T: number) => {
        const tokens = randomTokens(T, cfg.vocabSize, T);
        model.forward(tokens, tokens.slice(1).concat([-1]));
        model.backward(new Float64Array(T).fill(-1 / T));
      };
      step(48);
      const after = model.workspaceStats();
      assert.ok(after.allocations > 0 && after.bytes > 0);
      // Any shorter sequence fits in the buffers the longest one made.
      for (const T of [48, 20, 33, 48, 1]) step(T);
      assert.deepEqual(model.workspaceStats(), after);
      // And the heap holds steady over many steps (nothing retained per step).
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      for (let i = 0; i < 20; i++) step(40);
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 200; i++) step(40);
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      assert.ok(grown < 512 * 1024, `the heap grew by ${grown} bytes over 200 steps`);
      // A longer sequence grows the buffers once.
      step(60);
      assert.ok(model.workspaceStats().allocations > after.allocations);
    });
  }
});

describe("kernel selection", () => {
  test(
    "auto takes the native kernel on WZ_THREADS threads, and a resume names its family",
    {
      skip,
    },
    () =>
      withEnv({ WZ_THREADS: "2", WZ_LAYERS: undefined }, async () => {
        const k = await selectKernel("auto");
        assert.equal(k.name, "openblas-2t");
        assert.equal(k.threads, 2);
        assert.equal(kernelFamily(k), "blas");
        process.env.WZ_THREADS = "1";
        assert.equal((await selectKernel("blas")).name, "openblas");
        assert.equal((await selectKernel("blas", 3)).threads, 3);
        await assert.rejects(selectKernel("blas", 0), /threads must be a positive integer/);
        assert.equal(kernelFamily(await selectKernel("reference")), "reference");
        assert.equal(kernelFamily(await selectKernel("wasm")), "wasm");
      }),
  );
});

describe("the MKL kernel", () => {
  test(
    "is asked for by name, on WZ_THREADS threads, and a resume names its family",
    {
      skip: skipMkl,
    },
    () =>
      withEnv({ WZ_THREADS: "2", WZ_LAYERS: undefined }, async () => {
        const k = await selectKernel("mkl");
        assert.equal(k.name, "mkl-2t");
        assert.equal(kernelFamily(k), "mkl");
        // auto keeps OpenBLAS where both are built: the documented figures were made on it.
        if (blasAvailable()) assert.equal((await selectKernel("auto")).name, "openblas-2t");
        assert.equal((await selectKernel("mkl", 1)).name, "mkl");
      }),
  );
});
