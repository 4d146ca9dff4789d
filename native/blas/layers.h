// The native path's kernels: OpenBLAS matmuls and the model's other layers, on float32 rows with
// double intermediates (see layers.c). Pure C: no N-API here (blas.c binds these to JavaScript).
#pragma once

void wz_set_threads(int n);
int wz_threads(void);
// Fast layers: the attention softmax and SwiGLU's sigmoid in float (off: double, as the TypeScript layers).
void wz_set_fast_layers(int on);
float wz_fast_exp(float x);

void wz_sgemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc);
void wz_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int N, int C, double eps);
void wz_rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp, const float *weight,
                         const float *rstd, int N, int C);
void wz_rope(float *x, int T, int H, int D, const double *cos_t, const double *sin_t, int backward);
void wz_swiglu_forward(float *h, float *sig, const float *gate, const float *up, long N);
void wz_swiglu_backward(float *dgate, float *dup, const float *dh, const float *sig, const float *gate,
                        const float *up, long N);
void wz_add_into(float *out, const float *x, long N);
void wz_attention_forward(float *out, float *att, const float *q, const float *k, const float *v, int T, int H,
                          int KVH, int D);
void wz_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *att, const float *q,
                           const float *k, const float *v, int T, int H, int KVH, int D);
// The same over a range of (query, or key/value) heads, on the calling thread, with caller's scratch
// of wz_attention_scratch_bytes bytes: what the portable path's threads each run.
long wz_attention_scratch_bytes(int T, int D, int backward);
void wz_attention_forward_heads(float *out, float *att, const float *q, const float *k, const float *v, int T,
                                int H, int KVH, int D, int h0, int h1, void *scratch);
void wz_attention_backward_heads(float *dq, float *dk, float *dv, const float *dout, const float *att,
                                 const float *q, const float *k, const float *v, int T, int H, int KVH, int D,
                                 int kh0, int kh1, void *scratch);
void wz_log_softmax_forward(double *logp, double *entropy, float *probs, const float *logits, const int *targets,
                            int T, int V);
void wz_log_softmax_backward(float *dlogits, const double *dlogp, const float *probs, const int *targets, int T,
                             int V);
