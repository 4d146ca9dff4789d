// The blocked product of matmul.c, for runtime.c (layers.c's CBLAS calls) and for JavaScript.
#pragma once

#define MR 4   // rows of a register tile
#define NR 8   // columns of a register tile: two vectors
#define KC 256 // steps along K per block
#define MC 96  // rows of A packed per block (a multiple of MR)

// C[M,N] (+)= op(A) . op(B), op(A)[i, k] = A[i * sai + k * sak], op(B)[k, j] = B[k * sbk + j * sbj],
// C's rows ldc apart; accumulate adds the product to C. Its packing buffers (104 KiB) are on the
// stack of the calling instance.
void wz_gemm(float *C, int ldc, const float *A, int sai, int sak, const float *B, int sbk, int sbj, int M, int K,
             int N, int accumulate);
