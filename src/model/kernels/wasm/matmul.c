// WebAssembly SIMD (simd128) matrix multiplies for the three shapes a linear layer needs.
// Row-major float32; src/model/kernels/wasm.ts calls wz_gemm with each shape's strides. Built by build.sh into matmul.wasm and, with RELAXED defined, into
// matmul-relaxed.wasm, whose multiply-adds are relaxed SIMD's madd: one fused multiply-add where
// the CPU has one, twice the arithmetic a cycle of a multiply and an add (src/model/kernels/wasm.ts
// picks it when the runtime has relaxed SIMD). Both are committed, so no toolchain is needed at
// install. Each function overwrites C unless `accumulate` is set.
//
// One blocked product serves all three shapes, in the manner of BLIS. For each block of KC steps
// along K: MC rows of A are copied into `apack`, MR rows at a time with each step's MR values side
// by side; then for each panel of NR columns, B's panel is copied into `panel` (KC x NR floats,
// which stays in L1), and every MR rows of the packed A are multiplied against it in registers.
// Both operands are then read in order through one pointer each, whatever the layout: the three
// shapes differ only in the strides used to pack A and B.
#include <wasm_simd128.h>

#ifdef RELAXED
#define MADD(a, b, c) __builtin_wasm_relaxed_madd_f32x4(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#endif

#include "gemm.h"

// out[MR x NR] = a[kc x MR] . panel[kc x NR], a being MR rows of the packed A. Eight
// accumulators, two panel vectors and a broadcast fit in the vector registers V8 gives a function
// on x86-64; with a tile of 5 or 6 rows it spilled accumulators to the stack and ran slower
// (measured: 4 x 8 reaches 40 GFLOP/s with a multiply and an add, the runtime's peak, and 46-48
// with the fused madd; 5 x 8 gave 31 and 38).
// The loop is not unrolled by clang: V8 unrolls it itself, and more live values spill.
static void tile(float out[MR * NR], const float *a, const float *panel, int kc) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  v128_t c30 = c00, c31 = c00;
  const float *b = panel;
#pragma clang loop unroll(disable)
  for (int k = 0; k < kc; k++, a += MR, b += NR) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t x = wasm_v128_load32_splat(a);
    c00 = MADD(x, b0, c00);
    c01 = MADD(x, b1, c01);
    x = wasm_v128_load32_splat(a + 1);
    c10 = MADD(x, b0, c10);
    c11 = MADD(x, b1, c11);
    x = wasm_v128_load32_splat(a + 2);
    c20 = MADD(x, b0, c20);
    c21 = MADD(x, b1, c21);
    x = wasm_v128_load32_splat(a + 3);
    c30 = MADD(x, b0, c30);
    c31 = MADD(x, b1, c31);
  }
  wasm_v128_store(out, c00);
  wasm_v128_store(out + 4, c01);
  wasm_v128_store(out + 8, c10);
  wasm_v128_store(out + 12, c11);
  wasm_v128_store(out + 16, c20);
  wasm_v128_store(out + 20, c21);
  wasm_v128_store(out + 24, c30);
  wasm_v128_store(out + 28, c31);
}

void wz_gemm(float *C, int ldc, const float *A, int sai, int sak, const float *B, int sbk, int sbj, int M, int K,
             int N, int accumulate) {
  // On the stack: each instance of the module (one a thread) has its own.
  float panel[KC * NR] __attribute__((aligned(16)));
  float apack[MC * KC] __attribute__((aligned(16)));
  float out[MR * NR] __attribute__((aligned(16)));
  if (K == 0 && !accumulate)
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[(long)i * ldc + j] = 0;
  for (int k0 = 0; k0 < K; k0 += KC) {
    int kc = K - k0 < KC ? K - k0 : KC;
    int add = accumulate || k0 > 0;
    for (int m0 = 0; m0 < M; m0 += MC) {
      int mc = M - m0 < MC ? M - m0 : MC;
      // A's block, MR rows at a time, each step's MR values side by side (rows past M as zeros)
      for (int i0 = 0; i0 < mc; i0 += MR)
        for (int k = 0; k < kc; k++)
          for (int r = 0; r < MR; r++)
            apack[i0 * kc + k * MR + r] =
                i0 + r < mc ? A[(long)(m0 + i0 + r) * sai + (long)(k0 + k) * sak] : 0;
      for (int j0 = 0; j0 < N; j0 += NR) {
        int cols = N - j0 < NR ? N - j0 : NR;
        for (int k = 0; k < kc; k++) {
          const float *src = B + (long)(k0 + k) * sbk + (long)j0 * sbj;
          for (int j = 0; j < NR; j++) panel[k * NR + j] = j < cols ? src[j * sbj] : 0;
        }
        for (int i0 = 0; i0 < mc; i0 += MR) {
          int rows = mc - i0 < MR ? mc - i0 : MR;
          tile(out, apack + i0 * kc, panel, kc);
          float *c = C + (long)(m0 + i0) * ldc + j0;
          if (rows == MR && cols == NR) {
            for (int r = 0; r < MR; r++, c += ldc) {
              v128_t lo = wasm_v128_load(out + r * NR), hi = wasm_v128_load(out + r * NR + 4);
              if (add) {
                lo = wasm_f32x4_add(wasm_v128_load(c), lo);
                hi = wasm_f32x4_add(wasm_v128_load(c + 4), hi);
              }
              wasm_v128_store(c, lo);
              wasm_v128_store(c + 4, hi);
            }
          } else {
            for (int r = 0; r < rows; r++, c += ldc)
              for (int j = 0; j < cols; j++) c[j] = add ? c[j] + out[r * NR + j] : out[r * NR + j];
          }
        }
      }
    }
  }
}
