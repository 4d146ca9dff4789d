// The model's non-matmul layers in C, for the native path (see layers.h). Each function computes
// exactly what its TypeScript twin in src/model/layers.ts computes: intermediates in double, in
// the same order, each stored value rounded to float once, no contraction into FMAs
// (-ffp-contract=off), and exp is our own (wz_exp, the twin of src/model/exp.ts), so the two paths
// agree to the last bit; only a log-softmax's log comes from libm, which may differ from V8's by
// an ulp in the float64 log-probability. Work is split over threads only along independent rows or heads:
// every output element is computed by one thread in the same order, so the thread count never
// changes a result. The portable path compiles this same file to WebAssembly
// (src/model/kernels/wasm/build.sh): after a change, rebuild that too (a test checks).
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int g_threads = 1;

void wz_set_threads(int n) { g_threads = n < 1 ? 1 : n; }
int wz_threads(void) { return g_threads; }

// Fast layers (WZ_LAYERS=fast, off by default): the attention softmax and SwiGLU's sigmoid in float
// arithmetic, as PyTorch's CPU kernels compute them, instead of double intermediates rounded as
// the TypeScript layers round. Results then differ from the TypeScript layers' in the last bits
// (test/model/native-layers.test.ts bounds by how much); the thread count still changes nothing.
static int g_fast = 0;

void wz_set_fast_layers(int on) { g_fast = on != 0; }

// Rows are split over threads only when there is enough work to pay for waking them.
#define PAR_FOR(work)        \
  const long par_work = (work); \
  _Pragma("omp parallel for schedule(static) num_threads(g_threads) if (par_work > 4096 && g_threads > 1)")

// ---------- exp: the arithmetic of src/model/exp.ts, branch-free so that loops vectorise ----------

static inline double wz_exp(double x) {
  const double LOG2E = 1.4426950408889634, LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10;
  // 1.5 * 2^52: y + MAGIC rounds y to an integer k (to nearest, ties to even) held in the low bits
  const double MAGIC = 6755399441055744.0;
  union {
    double d;
    int64_t i;
  } t, m, scale;
  double xc = x > 710 ? 710 : x;
  t.d = xc * LOG2E + MAGIC;
  m.d = MAGIC;
  double k = t.d - MAGIC;
  double r = xc - k * LN2_HI - k * LN2_LO;
  double p =
      1 + r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
          r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 +
          r * (1.0 / 6227020800)))))))))))));
  scale.i = (t.i - m.i + 1023) << 52; // 2^k
  return x < -708 ? 0 : p * scale.d;
}

// ---------- matmul: sgemm with its M rows split over the threads ----------

// OpenBLAS computes products of at most 100^3 multiply-adds with its small-matrix kernels, whose
// rounding differs from the blocked path's. A product is split only when every part stays on the
// blocked path, in parts of whole 16-row panels: then each element is computed exactly as in one
// call, and the thread count cannot change a result.
#define SMALL_MNK 1e6

void wz_sgemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc) {
  int parts = g_threads;
  int chunk = ((M + parts - 1) / parts + 15) / 16 * 16;
  int last = M - (parts - 1) * chunk;
  if (parts < 2 || last < 1 || (double)last * N * K <= SMALL_MNK) parts = 1;
#pragma omp parallel for schedule(static) num_threads(parts) if (parts > 1)
  for (int p = 0; p < parts; p++) {
    int m0 = parts == 1 ? 0 : p * chunk;
    int m1 = parts == 1 ? M : (p == parts - 1 ? M : m0 + chunk);
    const float *a = transA ? A + m0 : A + (long)m0 * lda;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m1 - m0, N,
                K, 1.0f, a, lda, B, ldb, beta, C + (long)m0 * ldc, ldc);
  }
}

// ---------- RMSNorm ----------

// A row's sum is one chain of dependent double adds: summed one row at a time, the adder waits on
// itself. So the norms work on WZ_ROWS rows at once: the products are taken in one vectorised loop,
// then each row's products are summed alone and in index order (the same bits as one row at a
// time), the rows' chains side by side so that they overlap.
#define WZ_ROWS 8
#define WZ_CHUNK 256

// acc[j] += p[j][0] + p[j][1] + ... + p[j][n + j*grow - 1], left to right, for rows j < R of
// stride ld: rows of n values, or with grow = 1 each row one longer than the one before (the rows
// of a causal softmax). The common n go side by side, then each row's own tail.
// (Kept scalar: vectorised across rows, the compiler assembles each vector from eight loads.)
__attribute__((noinline, optimize("no-tree-slp-vectorize", "no-tree-loop-vectorize"))) static void add_rows_in_order(
    double *acc, const double *p, long ld, int R, int n, int grow) {
  if (R == WZ_ROWS) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < WZ_ROWS; j++) acc[j] += p[j * ld + i];
  } else {
    for (int j = 0; j < R; j++)
      for (int i = 0; i < n; i++) acc[j] += p[j * ld + i];
  }
  if (grow)
    for (int j = 1; j < R; j++)
      for (int i = n; i < n + j; i++) acc[j] += p[j * ld + i];
}

// out[j] = sum over i of y[j][i] * w[i] * x[j][i], or of x[j][i]^2 when w is NULL (RMSNorm's
// backward and forward), for R rows of C (row stride C).
static void row_dots(double *out, const float *x, const float *y, const float *w, int R, int C) {
  double p[WZ_ROWS * WZ_CHUNK];
  for (int j = 0; j < R; j++) out[j] = 0;
  for (int c0 = 0; c0 < C; c0 += WZ_CHUNK) {
    int n = C - c0 < WZ_CHUNK ? C - c0 : WZ_CHUNK;
    for (int j = 0; j < R; j++) {
      const float *xj = x + (long)j * C + c0, *yj = y + (long)j * C + c0;
      double *pj = p + j * WZ_CHUNK;
      if (w)
        for (int i = 0; i < n; i++) pj[i] = (double)yj[i] * (double)w[c0 + i] * (double)xj[i];
      else
        for (int i = 0; i < n; i++) pj[i] = (double)xj[i] * (double)xj[i];
    }
    add_rows_in_order(out, p, WZ_CHUNK, R, n, 0);
  }
}

void wz_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int N, int C, double eps) {
  int blocks = (N + WZ_ROWS - 1) / WZ_ROWS;
  PAR_FOR((long)N * C)
  for (int b = 0; b < blocks; b++) {
    int n0 = b * WZ_ROWS, R = N - n0 < WZ_ROWS ? N - n0 : WZ_ROWS;
    double ss[WZ_ROWS];
    row_dots(ss, inp + (long)n0 * C, inp + (long)n0 * C, NULL, R, C);
    for (int j = 0; j < R; j++) {
      const float *x = inp + (long)(n0 + j) * C;
      float *y = out + (long)(n0 + j) * C;
      double r = 1 / sqrt(ss[j] / C + eps);
      rstd[n0 + j] = (float)r;
      for (int i = 0; i < C; i++) y[i] = (float)((double)x[i] * r * (double)weight[i]);
    }
  }
}

// dinp for rows n0..n1-1 (accumulated: the residual's gradient is already there).
static void rmsnorm_backward_rows(float *dinp, const float *dout, const float *inp, const float *weight,
                                  const float *rstd, int n0, int n1, int C) {
  for (; n0 < n1; n0 += WZ_ROWS) {
    int R = n1 - n0 < WZ_ROWS ? n1 - n0 : WZ_ROWS;
    double dot[WZ_ROWS];
    row_dots(dot, inp + (long)n0 * C, dout + (long)n0 * C, weight, R, C);
    for (int j = 0; j < R; j++) {
      const float *x = inp + (long)(n0 + j) * C, *dy = dout + (long)(n0 + j) * C;
      float *dx = dinp + (long)(n0 + j) * C;
      double r = rstd[n0 + j];
      double k = dot[j] * r * r * r / C;
      for (int i = 0; i < C; i++) dx[i] = (float)((double)dx[i] + (r * (double)weight[i] * (double)dy[i] - k * (double)x[i]));
    }
  }
}

// Adds rows n0..n1-1, in order, into dweight's columns c0..c1-1 (in a local copy, which the
// compiler knows no other pointer writes).
static void rmsnorm_dweight_rows(float *dweight, const float *dout, const float *inp, const float *rstd, int n0,
                                 int n1, int c0, int c1, int C) {
  for (; c0 < c1; c0 += WZ_CHUNK) {
    int n = c1 - c0 < WZ_CHUNK ? c1 - c0 : WZ_CHUNK;
    float acc[WZ_CHUNK];
    for (int i = 0; i < n; i++) acc[i] = dweight[c0 + i];
    for (int r0 = n0; r0 < n1; r0++) {
      const float *x = inp + (long)r0 * C + c0, *dy = dout + (long)r0 * C + c0;
      double r = rstd[r0];
      for (int i = 0; i < n; i++) acc[i] = (float)((double)acc[i] + (double)dy[i] * (double)x[i] * r);
    }
    for (int i = 0; i < n; i++) dweight[c0 + i] = acc[i];
  }
}

#define WZ_MAX_THREADS 64

// dinp's rows are independent; dweight sums over the rows, in row order. Each thread takes a range
// of rows for both, so that it reads only rows it has (or is about to have) in its own cache, and
// the column sums pass from thread to thread as a pipeline: the columns go in nt ranges, and a
// thread adds its rows into a range once the thread before it has added its own (progress[]).
// So every column still sums rows 0, 1, ..., N-1 in order, as on one thread. Thread 0 starts the
// pipeline at once and does its dinp last; the others do their dinp while they wait.
// (Column ranges with every thread reading every row cost about 1 ms a step at width 256.)
void wz_rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp, const float *weight,
                         const float *rstd, int N, int C) {
  int progress[WZ_MAX_THREADS] = {0};
  int threads = g_threads < WZ_MAX_THREADS ? g_threads : WZ_MAX_THREADS;
#pragma omp parallel num_threads(threads) if ((long)N * C > 4096 && threads > 1)
  {
    int nt = omp_get_num_threads(), id = omp_get_thread_num();
    int n0 = (int)((long)N * id / nt), n1 = (int)((long)N * (id + 1) / nt);
    if (id > 0) rmsnorm_backward_rows(dinp, dout, inp, weight, rstd, n0, n1, C);
    for (int k = 0; k < nt; k++) {
      if (id > 0)
        while (__atomic_load_n(&progress[id - 1], __ATOMIC_ACQUIRE) <= k) {
#if defined(__x86_64__)
          __builtin_ia32_pause();
#endif
        }
      rmsnorm_dweight_rows(dweight, dout, inp, rstd, n0, n1, (int)((long)C * k / nt), (int)((long)C * (k + 1) / nt), C);
      __atomic_store_n(&progress[id], k + 1, __ATOMIC_RELEASE);
    }
    if (id == 0) rmsnorm_backward_rows(dinp, dout, inp, weight, rstd, n0, n1, C);
  }
}

// ---------- Rotary position embedding (rotate-half) ----------

void wz_rope(float *x, int T, int H, int D, const double *cos_t, const double *sin_t, int backward) {
  int half = D / 2;
  PAR_FOR((long)T * H * D)
  for (int t = 0; t < T; t++) {
    const double *c = cos_t + (long)t * half, *s = sin_t + (long)t * half;
    for (int h = 0; h < H; h++) {
      float *v = x + ((long)t * H + h) * D;
      for (int i = 0; i < half; i++) {
        double a = v[i], b = v[i + half];
        if (backward) {
          v[i] = (float)(a * c[i] + b * s[i]);
          v[i + half] = (float)(b * c[i] - a * s[i]);
        } else {
          v[i] = (float)(a * c[i] - b * s[i]);
          v[i + half] = (float)(b * c[i] + a * s[i]);
        }
      }
    }
  }
}

// exp in float for the fast layers: e^x = 2^k e^r with r = x - k ln2 in [-ln2/2, ln2/2], e^r by its
// Taylor series to r^7 (truncation under 1e-8 relative), branch-free so that loops vectorise in
// 16 lanes. 0 below -87 (where float's normal range ends), clamped at 88.
static inline float wz_expf(float x) {
  const float LOG2E = 1.44269504f, LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187e-06f;
  const float MAGIC = 12582912.0f; // 1.5 * 2^23: y + MAGIC rounds y to an integer held in the low bits
  union {
    float f;
    int32_t i;
  } t, m, scale;
  float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  t.f = xc * LOG2E + MAGIC;
  m.f = MAGIC;
  float k = t.f - MAGIC;
  float r = xc - k * LN2_HI - k * LN2_LO;
  float p = 1 + r * (1 + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 +
            r * (1.0f / 5040)))))));
  scale.i = (t.i - m.i + 127) << 23; // 2^k
  return x < -87.0f ? 0 : p * scale.f;
}

// The fast layers' exp, for tests (src/model/kernels/blas.ts exports it as fastExp).
float wz_fast_exp(float x) { return wz_expf(x); }

// ---------- SwiGLU and the residual add ----------

void wz_swiglu_forward(float *h, float *sig, const float *gate, const float *up, long N) {
  if (g_fast) {
    PAR_FOR(N)
    for (long i = 0; i < N; i++) {
      float g = gate[i], s = 1 / (1 + wz_expf(-g));
      sig[i] = s;
      h[i] = g * s * up[i];
    }
    return;
  }
  // In blocks: the exps in one loop (which vectorises), then the rest.
  long blocks = (N + 255) / 256;
  PAR_FOR(N)
  for (long b = 0; b < blocks; b++) {
    double e[256];
    long i0 = b * 256, n = N - i0 < 256 ? N - i0 : 256;
    for (long j = 0; j < n; j++) e[j] = wz_exp(0.0 - (double)gate[i0 + j]); // (0 - g vectorises, -g does not)
    for (long j = 0; j < n; j++) {
      double g = gate[i0 + j];
      double s = 1 / (1 + e[j]);
      sig[i0 + j] = (float)s;
      h[i0 + j] = (float)(g * s * (double)up[i0 + j]);
    }
  }
}

void wz_swiglu_backward(float *dgate, float *dup, const float *dh, const float *sig, const float *gate,
                        const float *up, long N) {
  PAR_FOR(N)
  for (long i = 0; i < N; i++) {
    double g = gate[i], s = sig[i], d = dh[i];
    dup[i] = (float)(d * g * s);
    dgate[i] = (float)(d * (double)up[i] * s * (1 + g * (1 - s)));
  }
}

void wz_add_into(float *out, const float *x, long N) {
  PAR_FOR(N)
  for (long i = 0; i < N; i++) out[i] = (float)((double)out[i] + (double)x[i]);
}

// ---------- Causal grouped-query attention ----------
// Heads are read in place through the leading dimension (no per-head copies): query head h is
// the columns h*D .. h*D+D-1 of q [T, H*D], and reads key/value head h / (H / KVH).

// Causal attention skips what the mask discards: query rows go in blocks of WZ_ATT_BLOCK, and a
// block's products stop at its last row's position, so about 5/8 of the full T x T work is done
// at T = 256. src/model/layers.ts blocks the same way, so both paths make the same BLAS calls.
#define WZ_ATT_BLOCK 64

// Softmax of rows t0..t1-1 of P (row stride ld), each over its positions 0..t; the rest of the
// row up to T is zeroed. e [WZ_ROWS * T] is scratch: WZ_ROWS rows at a time, the exps are taken in
// one vectorised loop, then each row's are summed in order, the rows side by side.
static void causal_softmax_rows(float *P, int ld, int t0, int t1, int T, double scale, double *e) {
  for (int g = t0; g < t1; g += WZ_ROWS) {
    int R = t1 - g < WZ_ROWS ? t1 - g : WZ_ROWS;
    double sum[WZ_ROWS] = {0};
    for (int j = 0; j < R; j++) {
      int t = g + j;
      float *p = P + (long)(t - t0) * ld;
      double *ej = e + (long)j * T;
      // The largest score, in eight lanes (a maximum is the same in any order).
      double lane[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
      int s = 0;
      for (; s + 8 <= t + 1; s += 8)
        for (int l = 0; l < 8; l++) {
          double x = (double)p[s + l] * scale;
          p[s + l] = (float)x;
          lane[l] = x > lane[l] ? x : lane[l];
        }
      for (; s <= t; s++) {
        double x = (double)p[s] * scale;
        p[s] = (float)x;
        lane[0] = x > lane[0] ? x : lane[0];
      }
      double max = lane[0];
      for (int l = 1; l < 8; l++) max = lane[l] > max ? lane[l] : max;
      for (s = 0; s <= t; s++) ej[s] = wz_exp((double)p[s] - max);
      for (s = 0; s <= t; s++) p[s] = (float)ej[s];
      for (s = t + 1; s < T; s++) p[s] = 0;
    }
    add_rows_in_order(sum, e, T, R, g + 1, 1);
    for (int j = 0; j < R; j++) {
      float *p = P + (long)(g + j - t0) * ld;
      for (int s = 0; s <= g + j; s++) p[s] = (float)((double)p[s] / sum[j]);
    }
  }
}

// The same in float (the fast layers): 16 lanes for the maximum and for the sum of each row (its
// lanes then added in double), and one reciprocal a row.
static void causal_softmax_rows_fast(float *P, int ld, int t0, int t1, int T, float scale) {
  for (int t = t0; t < t1; t++) {
    float *p = P + (long)(t - t0) * ld;
    float lane[16], acc[16] = {0};
    for (int l = 0; l < 16; l++) lane[l] = -INFINITY;
    int s = 0;
    for (; s + 16 <= t + 1; s += 16)
      for (int l = 0; l < 16; l++) {
        float x = p[s + l] * scale;
        p[s + l] = x;
        lane[l] = x > lane[l] ? x : lane[l];
      }
    for (; s <= t; s++) {
      float x = p[s] * scale;
      p[s] = x;
      lane[0] = x > lane[0] ? x : lane[0];
    }
    float max = lane[0];
    for (int l = 1; l < 16; l++) max = lane[l] > max ? lane[l] : max;
    for (s = 0; s + 16 <= t + 1; s += 16)
      for (int l = 0; l < 16; l++) {
        float e = wz_expf(p[s + l] - max);
        p[s + l] = e;
        acc[l] += e;
      }
    for (; s <= t; s++) {
      float e = wz_expf(p[s] - max);
      p[s] = e;
      acc[0] += e;
    }
    double sum = 0;
    for (int l = 0; l < 16; l++) sum += acc[l];
    float inv = (float)(1 / sum);
    for (s = 0; s <= t; s++) p[s] *= inv;
    for (s = t + 1; s < T; s++) p[s] = 0;
  }
}

// Softmax backward of rows t0..t1-1, in place on dS (its rows of t1, dP in, dS out; P's rows of
// stride ldp): dS = P (dP - sum P dP) times the score scale, zero past each row's position. prod
// [WZ_ROWS * T] is scratch: WZ_ROWS rows at a time, the products P dP in one loop, then each row's
// summed in order, the rows side by side.
static void causal_softmax_backward_rows(float *dS, const float *P, int ldp, int t0, int t1, double scale,
                                         double *prod) {
  for (int g = t0; g < t1; g += WZ_ROWS) {
    int R = t1 - g < WZ_ROWS ? t1 - g : WZ_ROWS;
    double pdp[WZ_ROWS] = {0};
    for (int j = 0; j < R; j++) {
      const float *p = P + (long)(g + j - t0) * ldp, *d = dS + (long)(g + j - t0) * t1;
      for (int s = 0; s <= g + j; s++) prod[(long)j * ldp + s] = (double)p[s] * (double)d[s];
    }
    add_rows_in_order(pdp, prod, ldp, R, g + 1, 1);
    for (int j = 0; j < R; j++) {
      int t = g + j;
      const float *p = P + (long)(t - t0) * ldp;
      float *d = dS + (long)(t - t0) * t1;
      for (int s = 0; s <= t; s++) d[s] = (float)((double)p[s] * ((double)d[s] - pdp[j]) * scale);
      for (int s = t + 1; s < t1; s++) d[s] = 0;
    }
  }
}

// Scratch bytes one thread's share of attention needs: the forward's exps (WZ_ROWS rows), or the
// backward's products (WZ_ROWS rows, doubles first for their alignment), dS and dQ of a query
// block, and one key/value head's dK and dV.
long wz_attention_scratch_bytes(int T, int D, int backward) {
  long rows = (long)sizeof(double) * WZ_ROWS * T;
  if (!backward) return rows;
  return rows + (long)sizeof(float) * ((long)WZ_ATT_BLOCK * T + (long)WZ_ATT_BLOCK * D + 2L * T * D);
}

// Query heads h0..h1-1 of the forward pass, with wz_attention_scratch_bytes(T, D, 0) of scratch.
void wz_attention_forward_heads(float *out, float *att, const float *q, const float *k, const float *v, int T,
                                int H, int KVH, int D, int h0, int h1, void *scratch) {
  double scale = 1 / sqrt((double)D);
  int group = H / KVH;
  double *e = scratch;
  for (int h = h0; h < h1; h++) {
    int kh = h / group;
    float *P = att + (long)h * T * T;
    for (int t0 = 0; t0 < T; t0 += WZ_ATT_BLOCK) {
      int t1 = t0 + WZ_ATT_BLOCK < T ? t0 + WZ_ATT_BLOCK : T, B = t1 - t0;
      float *Pb = P + (long)t0 * T;
      // S = Q[t0:t1] K[0:t1]^T, P = softmax(S * scale), O[t0:t1] = P V[0:t1]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, t1, D, 1.0f, q + (long)t0 * H * D + h * D, H * D,
                  k + kh * D, KVH * D, 0.0f, Pb, T);
      if (g_fast)
        causal_softmax_rows_fast(Pb, T, t0, t1, T, (float)scale);
      else
        causal_softmax_rows(Pb, T, t0, t1, T, scale, e);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, D, t1, 1.0f, Pb, T, v + kh * D, KVH * D, 0.0f,
                  out + (long)t0 * H * D + h * D, H * D);
    }
  }
}

// The heads split over the threads, each thread a contiguous range (a head's result does not
// depend on the thread that computes it).
void wz_attention_forward(float *out, float *att, const float *q, const float *k, const float *v, int T, int H,
                          int KVH, int D) {
#pragma omp parallel num_threads(g_threads) if (g_threads > 1)
  {
    int nt = omp_get_num_threads(), id = omp_get_thread_num();
    void *scratch = malloc(wz_attention_scratch_bytes(T, D, 0));
    wz_attention_forward_heads(out, att, q, k, v, T, H, KVH, D, H * id / nt, H * (id + 1) / nt, scratch);
    free(scratch);
  }
}

// Key/value heads kh0..kh1-1 of the backward pass, accumulating into dq, dk, dv, with
// wz_attention_scratch_bytes(T, D, 1) of scratch. The thread of a key/value head owns that head's
// dK and dV (summed over its query heads in head order and over query blocks in order, as the
// TypeScript version sums them) and its query heads' dq.
void wz_attention_backward_heads(float *dq, float *dk, float *dv, const float *dout, const float *att,
                                 const float *q, const float *k, const float *v, int T, int H, int KVH, int D,
                                 int kh0, int kh1, void *scratch) {
  double scale = 1 / sqrt((double)D);
  int group = H / KVH;
  double *prod = scratch;
  float *dS = (float *)(prod + (long)WZ_ROWS * T);
  float *dQh = dS + (long)WZ_ATT_BLOCK * T;
  float *dKh = dQh + (long)WZ_ATT_BLOCK * D;
  float *dVh = dKh + (long)T * D;
  for (int kh = kh0; kh < kh1; kh++) {
    memset(dKh, 0, sizeof(float) * (size_t)T * D);
    memset(dVh, 0, sizeof(float) * (size_t)T * D);
    for (int h = kh * group; h < (kh + 1) * group; h++) {
      for (int t0 = 0; t0 < T; t0 += WZ_ATT_BLOCK) {
        int t1 = t0 + WZ_ATT_BLOCK < T ? t0 + WZ_ATT_BLOCK : T, B = t1 - t0;
        const float *Pb = att + (long)h * T * T + (long)t0 * T;
        const float *dOb = dout + (long)t0 * H * D + h * D;
        // dV[0:t1] += P^T dO;  dP = dO V[0:t1]^T
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t1, D, B, 1.0f, Pb, T, dOb, H * D, 1.0f, dVh, D);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, t1, D, 1.0f, dOb, H * D, v + kh * D, KVH * D, 0.0f,
                    dS, t1);
        causal_softmax_backward_rows(dS, Pb, T, t0, t1, scale, prod);
        // dQ[t0:t1] = dS K[0:t1] (added into dq's head); dK[0:t1] += dS^T Q[t0:t1]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, D, t1, 1.0f, dS, t1, k + kh * D, KVH * D, 0.0f,
                    dQh, D);
        for (int t = t0; t < t1; t++) {
          float *o = dq + ((long)t * H + h) * D;
          const float *src = dQh + (long)(t - t0) * D;
          for (int i = 0; i < D; i++) o[i] = (float)((double)o[i] + (double)src[i]);
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t1, D, B, 1.0f, dS, t1, q + (long)t0 * H * D + h * D,
                    H * D, 1.0f, dKh, D);
      }
    }
    for (int t = 0; t < T; t++) {
      float *ok = dk + ((long)t * KVH + kh) * D, *ov = dv + ((long)t * KVH + kh) * D;
      const float *sk = dKh + (long)t * D, *sv = dVh + (long)t * D;
      for (int i = 0; i < D; i++) {
        ok[i] = (float)((double)ok[i] + (double)sk[i]);
        ov[i] = (float)((double)ov[i] + (double)sv[i]);
      }
    }
  }
}

// The key/value heads split over the threads, each thread a contiguous range.
void wz_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *att, const float *q,
                           const float *k, const float *v, int T, int H, int KVH, int D) {
#pragma omp parallel num_threads(g_threads) if (g_threads > 1)
  {
    int nt = omp_get_num_threads(), id = omp_get_thread_num();
    void *scratch = malloc(wz_attention_scratch_bytes(T, D, 1));
    wz_attention_backward_heads(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D, KVH * id / nt, KVH * (id + 1) / nt,
                                scratch);
    free(scratch);
  }
}

// ---------- Log-softmax at the targets ----------

void wz_log_softmax_forward(double *logp, double *entropy, float *probs, const float *logits, const int *targets,
                            int T, int V) {
  double *scratch = malloc(sizeof(double) * (size_t)V * (g_threads > 1 ? g_threads : 1));
  PAR_FOR((long)T * V)
  for (int t = 0; t < T; t++) {
    const float *z = logits + (long)t * V;
    float *p = probs + (long)t * V;
    double *e = scratch + (long)V * omp_get_thread_num();
    double max = -INFINITY;
    for (int j = 0; j < V; j++)
      if (z[j] > max) max = z[j];
    for (int j = 0; j < V; j++) e[j] = wz_exp((double)z[j] - max);
    double sum = 0;
    for (int j = 0; j < V; j++) {
      p[j] = (float)e[j];
      sum += e[j];
    }
    double lse = max + log(sum);
    double ent = 0;
    for (int j = 0; j < V; j++) {
      double pj = (double)p[j] / sum;
      p[j] = (float)pj;
      if (pj > 0) ent -= pj * ((double)z[j] - lse);
    }
    entropy[t] = ent;
    int y = targets[t];
    logp[t] = y >= 0 ? (double)z[y] - lse : 0;
  }
  free(scratch);
}

void wz_log_softmax_backward(float *dlogits, const double *dlogp, const float *probs, const int *targets, int T,
                             int V) {
  PAR_FOR((long)T * V)
  for (int t = 0; t < T; t++) {
    double g = targets[t] >= 0 ? dlogp[t] : 0;
    float *d = dlogits + (long)t * V;
    const float *p = probs + (long)t * V;
    for (int j = 0; j < V; j++) d[j] = (float)(-g * (double)p[j]);
    if (targets[t] >= 0) d[targets[t]] = (float)((double)d[targets[t]] + g);
  }
}
