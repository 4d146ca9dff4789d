// Every kernel against the reference kernel, on odd shapes (remainders in every loop).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DecoderModel } from "../../src/model/decoder.ts";
import { blasAvailable, createBlasKernel } from "../../src/model/kernels/blas.ts";
import { referenceKernel } from "../../src/model/kernels/reference.ts";
import type { ComputeBackend } from "../../src/model/kernels/types.ts";
import { createWasmKernel } from "../../src/model/kernels/wasm.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { randomTokens, tinyConfig } from "../helpers/models.ts";
import { unlessCi } from "../helpers/requirement.ts";

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 13, 9],
  [17, 33, 31],
  [64, 96, 80],
  [2, 130, 1],
  [31, 4, 65],
  // the wasm kernel's blocks: more than KC = 256 steps along K (a second block added to the
  // first) and more than MC = 96 rows of A (a second packed block), neither a whole multiple
  [101, 300, 19],
];

function rand(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

function check(kernel: ComputeBackend) {
  for (const [M, K, N] of shapes) {
    for (const op of ["matmulNT", "matmulNN", "matmulTN"] as const) {
      for (const acc of [false, true]) {
        const a = rand(M * K, M * 7 + K);
        const b = rand(K * N, N * 13 + K);
        const init = rand(M * N, M + N);
        const want = Float32Array.from(init);
        const got = Float32Array.from(init);
        referenceKernel[op](want, a, b, M, K, N, acc);
        kernel[op](got, a, b, M, K, N, acc);
        for (let i = 0; i < M * N; i++) {
          const tol = 1e-5 * Math.max(1, Math.abs(want[i])) * Math.sqrt(K);
          assert.ok(
            Math.abs(got[i] - want[i]) <= tol,
            `${kernel.name} ${op} ${M}x${K}x${N} acc=${acc} [${i}]: ${got[i]} vs ${want[i]}`,
          );
        }
      }
    }
  }
}

describe("matmul kernels agree with the reference kernel", () => {
  test("wasm-simd, a multiply and an add", async () => {
    const kernel = await createWasmKernel({ fma: false });
    assert.equal(kernel.name, "wasm-simd");
    check(kernel);
  });
  test("wasm-simd, products split over two threads", async () => {
    const kernel = await createWasmKernel({ threads: 2 });
    assert.equal(kernel.threads, 2);
    check(kernel);
    // and a product large enough to be split, in all three shapes, both ways of writing C
    const [M, K, N] = [203, 130, 77];
    for (const op of ["matmulNT", "matmulNN", "matmulTN"] as const)
      for (const acc of [false, true]) {
        const a = rand(M * K, 11);
        const b = rand(K * N, 12);
        const want = rand(M * N, 13);
        const got = Float32Array.from(want);
        (await createWasmKernel({ threads: 1 }))[op](want, a, b, M, K, N, acc);
        kernel[op](got, a, b, M, K, N, acc);
        assert.deepEqual(got, want, `${op} acc=${acc}: two threads give one thread's bits`);
      }
  });
  test("wasm-simd, relaxed SIMD's fused multiply-add", async () => {
    const kernel = await createWasmKernel({ fma: true });
    // Node 20's V8 has relaxed SIMD behind a flag the kernel turns on, so it is there
    assert.equal(kernel.name, "wasm-simd-fma");
    check(kernel);
    // A dot product whose answer a fused multiply-add gives and a multiply then an add cannot:
    // 1 * -(1 + 2^-11) + (1 + 2^-12)^2 is 2^-24 exactly, but (1 + 2^-12)^2 rounded to float32
    // first loses that 2^-24 and the sum is 0.
    const e = 2 ** -12;
    const a = new Float32Array([1, 1 + e]);
    const b = new Float32Array([-(1 + 2 * e), 1 + e]);
    const fused = new Float32Array(1);
    kernel.matmulNN(fused, a, b, 1, 2, 1, false);
    assert.equal(fused[0], 2 ** -24);
    const plain = new Float32Array(1);
    (await createWasmKernel({ fma: false })).matmulNN(plain, a, b, 1, 2, 1, false);
    assert.equal(plain[0], 0);
  });
  const skip = unlessCi(
    !blasAvailable() && "the OpenBLAS addon is not built (apt-get install libopenblas-dev; npm ci)",
  );
  test("openblas, one thread", { skip }, () => check(createBlasKernel(1)!));
  test("openblas, two threads", { skip }, () => check(createBlasKernel(2)!));
  const skipMkl = unlessCi(
    !blasAvailable("mkl") &&
      "the MKL addon is not built (bash scripts/setup-python.sh; node scripts/build-blas.mjs)",
  );
  test("mkl, one thread", { skip: skipMkl }, () => check(createBlasKernel(1, "mkl")!));
  test("mkl, two threads", { skip: skipMkl }, () => check(createBlasKernel(2, "mkl")!));
});

describe("the wasm kernel's own memory", () => {
  test("arrays it hands out are computed on in place, stay valid as its memory grows, and another instance copies them", async () => {
    const k = await createWasmKernel();
    const other = await createWasmKernel();
    const [M, K, N] = [37, 300, 23];
    const own = (src: Float32Array) => {
      const a = k.allocate!(src.length)!;
      assert.ok(a.buffer instanceof SharedArrayBuffer);
      assert.ok(
        a.every((x) => x === 0),
        "handed out zeroed",
      );
      a.set(src);
      return a;
    };
    const a = rand(M * K, 1);
    const b = rand(N * K, 2);
    const want = new Float32Array(M * N);
    referenceKernel.matmulNT(want, a, b, M, K, N, false);
    const close = (got: Float32Array, what: string) => {
      for (let i = 0; i < M * N; i++)
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-4, `${what} [${i}]: ${got[i]} vs ${want[i]}`);
    };
    const [ownA, ownB, ownOut] = [own(a), own(b), own(new Float32Array(M * N))];
    k.matmulNT(ownOut, ownA, ownB, M, K, N, false);
    close(ownOut, "all three in its memory");
    // 64 MiB more: the memory grows, and the arrays from before still hold and still work
    const big = k.allocate!(16 * 2 ** 20)!;
    big.fill(1);
    assert.ok(ownA.length === M * K && ownA[5] === a[5]);
    ownOut.fill(0);
    k.matmulNT(ownOut, ownA, ownB, M, K, N, false);
    close(ownOut, "after growing");
    // one instance's arrays are any other's ordinary arrays: copied in and out
    const out2 = new Float32Array(M * N);
    other.matmulNT(out2, ownA, b, M, K, N, false);
    close(out2, "another instance");
    const ownOut2 = own(new Float32Array(M * N));
    other.matmulNT(ownOut2, a, ownB, M, K, N, false);
    close(ownOut2, "another instance, output in the first's memory");
    assert.equal(big[0], 1, "nothing was written over the big array");
  });

  test("the model's weights, their gradients and its workspaces come from the kernel", async () => {
    const k = await createWasmKernel();
    let asked = 0;
    const counting: ComputeBackend = {
      ...k,
      allocate: (n) => {
        asked++;
        return k.allocate!(n);
      },
    };
    const cfg = { ...tinyConfig(), vocabSize: 50 };
    const model = DecoderModel.random(cfg, 1, "f32", counting);
    const tokens = randomTokens(12, cfg.vocabSize, 3);
    model.zeroGrad();
    model.forward(tokens, tokens.slice(1).concat([-1]));
    assert.ok(model.params.data.buffer instanceof SharedArrayBuffer);
    assert.ok(model.grads!.data.buffer instanceof SharedArrayBuffer);
    assert.equal(asked, model.workspaceStats().allocations + 2);
    // weights given to the constructor (a loaded model) are copied in, value for value
    const loaded = new DecoderModel(cfg, "f32", { kernel: k, data: model.params.data.slice() });
    assert.ok(loaded.params.data.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(loaded.params.data, model.params.data);
  });
});
