// WebAssembly SIMD (simd128) matrix multiplies for the three shapes a linear layer needs.
// Row-major float32. Built by build.sh into matmul.wasm (committed, so no toolchain is needed
// at install). Each function overwrites C unless `accumulate` is set.
#include <wasm_simd128.h>

#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)

static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

// C[M,N] (+)= A[M,K] . B[N,K]^T : dot products along K, a 2x4 tile of outputs at a time.
void matmul_nt(float *C, const float *A, const float *B, int M, int K, int N, int accumulate) {
  int K4 = K & ~3;
  int i = 0;
  for (; i + 2 <= M; i += 2) {
    const float *a0 = A + i * K, *a1 = a0 + K;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      const float *b0 = B + j * K, *b1 = b0 + K, *b2 = b1 + K, *b3 = b2 + K;
      v128_t s00 = wasm_f32x4_splat(0), s01 = s00, s02 = s00, s03 = s00;
      v128_t s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int k = 0; k < K4; k += 4) {
        v128_t x0 = LOAD(a0 + k), x1 = LOAD(a1 + k);
        v128_t y0 = LOAD(b0 + k), y1 = LOAD(b1 + k), y2 = LOAD(b2 + k), y3 = LOAD(b3 + k);
        s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x0, y0));
        s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x0, y1));
        s02 = wasm_f32x4_add(s02, wasm_f32x4_mul(x0, y2));
        s03 = wasm_f32x4_add(s03, wasm_f32x4_mul(x0, y3));
        s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x1, y0));
        s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x1, y1));
        s12 = wasm_f32x4_add(s12, wasm_f32x4_mul(x1, y2));
        s13 = wasm_f32x4_add(s13, wasm_f32x4_mul(x1, y3));
      }
      float r[8] = {hsum(s00), hsum(s01), hsum(s02), hsum(s03), hsum(s10), hsum(s11), hsum(s12), hsum(s13)};
      for (int k = K4; k < K; k++) {
        r[0] += a0[k] * b0[k];
        r[1] += a0[k] * b1[k];
        r[2] += a0[k] * b2[k];
        r[3] += a0[k] * b3[k];
        r[4] += a1[k] * b0[k];
        r[5] += a1[k] * b1[k];
        r[6] += a1[k] * b2[k];
        r[7] += a1[k] * b3[k];
      }
      float *c0 = C + i * N + j, *c1 = c0 + N;
      for (int t = 0; t < 4; t++) {
        c0[t] = accumulate ? c0[t] + r[t] : r[t];
        c1[t] = accumulate ? c1[t] + r[4 + t] : r[4 + t];
      }
    }
    for (; j < N; j++) {
      const float *b0 = B + j * K;
      v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
      for (int k = 0; k < K4; k += 4) {
        v128_t y = LOAD(b0 + k);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(LOAD(a0 + k), y));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(LOAD(a1 + k), y));
      }
      float r0 = hsum(s0), r1 = hsum(s1);
      for (int k = K4; k < K; k++) {
        r0 += a0[k] * b0[k];
        r1 += a1[k] * b0[k];
      }
      C[i * N + j] = accumulate ? C[i * N + j] + r0 : r0;
      C[(i + 1) * N + j] = accumulate ? C[(i + 1) * N + j] + r1 : r1;
    }
  }
  for (; i < M; i++) {
    const float *a0 = A + i * K;
    for (int j = 0; j < N; j++) {
      const float *b0 = B + j * K;
      v128_t s = wasm_f32x4_splat(0);
      for (int k = 0; k < K4; k += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(LOAD(a0 + k), LOAD(b0 + k)));
      float r = hsum(s);
      for (int k = K4; k < K; k++) r += a0[k] * b0[k];
      C[i * N + j] = accumulate ? C[i * N + j] + r : r;
    }
  }
}

// C[M,N] (+)= op(A) . B[K,N], where op(A)[i,k] = A[i*sa_i + k*sa_k]: axpy rows of B into 4 rows of C.
static void matmul_rows(float *C, const float *A, int sa_i, int sa_k, const float *B, int M, int K, int N,
                        int accumulate) {
  if (!accumulate)
    for (int t = 0; t < M * N; t++) C[t] = 0;
  int N8 = N & ~7;
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    float *c0 = C + i * N, *c1 = c0 + N, *c2 = c1 + N, *c3 = c2 + N;
    for (int j = 0; j < N8; j += 8) {
      v128_t p0 = LOAD(c0 + j), q0 = LOAD(c0 + j + 4);
      v128_t p1 = LOAD(c1 + j), q1 = LOAD(c1 + j + 4);
      v128_t p2 = LOAD(c2 + j), q2 = LOAD(c2 + j + 4);
      v128_t p3 = LOAD(c3 + j), q3 = LOAD(c3 + j + 4);
      for (int k = 0; k < K; k++) {
        v128_t y = LOAD(B + k * N + j), z = LOAD(B + k * N + j + 4);
        const float *a = A + i * sa_i + k * sa_k;
        v128_t x0 = wasm_f32x4_splat(a[0]), x1 = wasm_f32x4_splat(a[sa_i]);
        v128_t x2 = wasm_f32x4_splat(a[2 * sa_i]), x3 = wasm_f32x4_splat(a[3 * sa_i]);
        p0 = wasm_f32x4_add(p0, wasm_f32x4_mul(x0, y));
        q0 = wasm_f32x4_add(q0, wasm_f32x4_mul(x0, z));
        p1 = wasm_f32x4_add(p1, wasm_f32x4_mul(x1, y));
        q1 = wasm_f32x4_add(q1, wasm_f32x4_mul(x1, z));
        p2 = wasm_f32x4_add(p2, wasm_f32x4_mul(x2, y));
        q2 = wasm_f32x4_add(q2, wasm_f32x4_mul(x2, z));
        p3 = wasm_f32x4_add(p3, wasm_f32x4_mul(x3, y));
        q3 = wasm_f32x4_add(q3, wasm_f32x4_mul(x3, z));
      }
      STORE(c0 + j, p0);
      STORE(c0 + j + 4, q0);
      STORE(c1 + j, p1);
      STORE(c1 + j + 4, q1);
      STORE(c2 + j, p2);
      STORE(c2 + j + 4, q2);
      STORE(c3 + j, p3);
      STORE(c3 + j + 4, q3);
    }
    for (int r = 0; r < 4; r++)
      for (int j = N8; j < N; j++) {
        float s = 0;
        for (int k = 0; k < K; k++) s += A[(i + r) * sa_i + k * sa_k] * B[k * N + j];
        C[(i + r) * N + j] += s;
      }
  }
  for (; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += A[i * sa_i + k * sa_k] * B[k * N + j];
      C[i * N + j] += s;
    }
}

// C[M,N] (+)= A[M,K] . B[K,N]
void matmul_nn(float *C, const float *A, const float *B, int M, int K, int N, int accumulate) {
  matmul_rows(C, A, K, 1, B, M, K, N, accumulate);
}

// C[M,N] (+)= A[K,M]^T . B[K,N]
void matmul_tn(float *C, const float *A, const float *B, int M, int K, int N, int accumulate) {
  matmul_rows(C, A, 1, M, B, M, K, N, accumulate);
}
