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
  test("wasm-simd", async () => check(await createWasmKernel()));
  const skip = blasAvailable()
    ? false
    : "the OpenBLAS addon is not built (apt-get install libopenblas-dev; npm ci)";
  test("openblas, one thread", { skip }, () => check(createBlasKernel(1)!));
  test("openblas, two threads", { skip }, () => check(createBlasKernel(2)!));
});
