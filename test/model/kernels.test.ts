// Every kernel against the reference kernel, on odd shapes (remainders in every loop).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { blasAvailable, createBlasKernel } from "../../src/model/kernels/blas.ts";
import { referenceKernel } from "../../src/model/kernels/reference.ts";
import type { MatmulKernel } from "../../src/model/kernels/types.ts";
import { createWasmKernel } from "../../src/model/kernels/wasm.ts";
import { mulberry32 } from "../../src/model/params.ts";

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

function check(kernel: MatmulKernel) {
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
  const skip = blasAvailable()
    ? false
    : "the OpenBLAS addon is not built (apt-get install libopenblas-dev; npm ci)";
  test("openblas, one thread", { skip }, () => check(createBlasKernel(1)!));
  test("openblas, two threads", { skip }, () => check(createBlasKernel(2)!));
});
