// What native/blas/layers.c needs from a C library, for its WebAssembly build (build.sh): the
// CBLAS product, answered by matmul.c's blocked product, and malloc for its scratch buffers.
#include <cblas.h>
#include <stdlib.h>

#include "gemm.h"

// layers.c calls it with alpha 1 and beta 0 (overwrite C) or 1 (add to C), nothing else.
void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transA, enum CBLAS_TRANSPOSE transB, int M, int N,
                 int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  if (order != CblasRowMajor || alpha != 1.0f || (beta != 0.0f && beta != 1.0f)) __builtin_trap();
  int ta = transA == CblasTrans, tb = transB == CblasTrans;
  wz_gemm(C, ldc, A, ta ? 1 : lda, ta ? lda : 1, B, tb ? 1 : ldb, tb ? ldb : 1, M, K, N, beta != 0.0f);
}

// Scratch is taken from an arena that JavaScript places after a call's operands (wz_arena) before
// each call; free is a no-op, since the next call starts the arena afresh. The memory grows when
// the arena needs it. Only the calling thread's layers use it: what a worker thread runs
// (products, attention over a range of heads) takes its scratch from its stack or its caller.
static unsigned long arena_top;

void wz_arena(unsigned long at) { arena_top = (at + 15) & ~15ul; }

void *malloc(size_t n) {
  unsigned long p = arena_top;
  arena_top = (p + n + 15) & ~15ul;
  unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
  if (arena_top > have && __builtin_wasm_memory_grow(0, (arena_top - have + 65535) / 65536) < 0) __builtin_trap();
  return (void *)p;
}

void free(void *p) { (void)p; }
