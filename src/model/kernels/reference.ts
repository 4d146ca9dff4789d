// The plain TypeScript kernel: three loops per product, written for obviousness. Tests check every
// other kernel against it, and it is the kernel for float64 (gradient checks).
import type { ComputeBackend } from "./types.ts";

export const referenceKernel: ComputeBackend = {
  name: "reference",
  matmulNT(out, a, b, M, K, N, accumulate) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * K + k] * b[j * K + k];
        out[i * N + j] = accumulate ? out[i * N + j] + s : s;
      }
    }
  },
  matmulNN(out, a, b, M, K, N, accumulate) {
    if (!accumulate) out.fill(0, 0, M * N);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const aik = a[i * K + k];
        if (aik === 0) continue;
        for (let j = 0; j < N; j++) out[i * N + j] += aik * b[k * N + j];
      }
    }
  },
  matmulTN(out, a, b, M, K, N, accumulate) {
    if (!accumulate) out.fill(0, 0, M * N);
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < M; i++) {
        const aki = a[k * M + i];
        if (aki === 0) continue;
        for (let j = 0; j < N; j++) out[i * N + j] += aki * b[k * N + j];
      }
    }
  },
};
