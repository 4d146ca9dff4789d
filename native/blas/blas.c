// The N-API binding of the native path (layers.c): a BLAS's sgemm (OpenBLAS, or Intel MKL in the
// wz_blas_mkl build, which defines WZ_MKL) and the model's other layers
// on typed-array views (the data pointer includes the byte offset), with no copies. Arguments
// are checked for type here; shapes are the caller's (src/model/kernels/blas.ts) to get right.
#include <cblas.h>
#include <node_api.h>
#include <stdio.h>

#include "layers.h"

#define MAX_ARGS 16

typedef struct {
  napi_env env;
  napi_value v[MAX_ARGS];
  size_t n;
  int failed;
} Args;

static int args(napi_env env, napi_callback_info info, Args *a, size_t want, const char *name) {
  a->env = env;
  a->n = MAX_ARGS;
  a->failed = 0;
  napi_get_cb_info(env, info, &a->n, a->v, NULL, NULL);
  if (a->n != want) {
    napi_throw_error(env, NULL, name);
    return 0;
  }
  return 1;
}

static void *typed(Args *a, int i, napi_typedarray_type want) {
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  if (a->failed) return NULL;
  if (napi_get_typedarray_info(a->env, a->v[i], &type, &length, &data, &buffer, &offset) != napi_ok || type != want) {
    static const char *names[] = {[napi_float32_array] = "a Float32Array", [napi_float64_array] = "a Float64Array",
                                  [napi_int32_array] = "an Int32Array"};
    char msg[96];
    snprintf(msg, sizeof msg, "argument %d: expected %s", i, names[want] ? names[want] : "a typed array");
    napi_throw_type_error(a->env, NULL, msg);
    a->failed = 1;
    return NULL;
  }
  return data;
}

static float *f32_at(Args *a, int i) { return typed(a, i, napi_float32_array); }
static double *f64_at(Args *a, int i) { return typed(a, i, napi_float64_array); }
static int *i32s_at(Args *a, int i) { return typed(a, i, napi_int32_array); }
static int int_at(Args *a, int i) {
  int32_t x = 0;
  napi_get_value_int32(a->env, a->v[i], &x);
  return x;
}
static double num_at(Args *a, int i) {
  double x = 0;
  napi_get_value_double(a->env, a->v[i], &x);
  return x;
}

// sgemm(transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc), alpha = 1
static napi_value sgemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 12, "sgemm takes 12 arguments")) return NULL;
  float *A = f32_at(&a, 5), *B = f32_at(&a, 7), *C = f32_at(&a, 10);
  if (a.failed) return NULL;
  wz_sgemm(int_at(&a, 0), int_at(&a, 1), int_at(&a, 2), int_at(&a, 3), int_at(&a, 4), A, int_at(&a, 6), B, int_at(&a, 8), (float)num_at(&a, 9), C, int_at(&a, 11));
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 1, "setThreads takes 1 argument")) return NULL;
  // The BLAS itself stays on one thread: the work is split over threads by layers.c, so two
  // thread pools never compete for the cores. (MKL is linked sequential: it has no pool.)
#ifndef WZ_MKL
  openblas_set_num_threads(1);
#endif
  wz_set_threads(int_at(&a, 0));
  return NULL;
}

static napi_value rmsnorm_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 7, "rmsnormForward takes 7 arguments")) return NULL;
  float *out = f32_at(&a, 0), *rstd = f32_at(&a, 1), *inp = f32_at(&a, 2), *w = f32_at(&a, 3);
  if (!a.failed) wz_rmsnorm_forward(out, rstd, inp, w, int_at(&a, 4), int_at(&a, 5), num_at(&a, 6));
  return NULL;
}

static napi_value rmsnorm_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 8, "rmsnormBackward takes 8 arguments")) return NULL;
  float *dinp = f32_at(&a, 0), *dw = f32_at(&a, 1), *dout = f32_at(&a, 2), *inp = f32_at(&a, 3), *w = f32_at(&a, 4), *rstd = f32_at(&a, 5);
  if (!a.failed) wz_rmsnorm_backward(dinp, dw, dout, inp, w, rstd, int_at(&a, 6), int_at(&a, 7));
  return NULL;
}

// rope(x, T, H, D, cos, sin, backward)
static napi_value rope(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 7, "rope takes 7 arguments")) return NULL;
  float *x = f32_at(&a, 0);
  double *c = f64_at(&a, 4), *s = f64_at(&a, 5);
  if (!a.failed) wz_rope(x, int_at(&a, 1), int_at(&a, 2), int_at(&a, 3), c, s, int_at(&a, 6));
  return NULL;
}

static napi_value swiglu_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 5, "swigluForward takes 5 arguments")) return NULL;
  float *h = f32_at(&a, 0), *sig = f32_at(&a, 1), *gate = f32_at(&a, 2), *up = f32_at(&a, 3);
  if (!a.failed) wz_swiglu_forward(h, sig, gate, up, (long)num_at(&a, 4));
  return NULL;
}

static napi_value swiglu_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 7, "swigluBackward takes 7 arguments")) return NULL;
  float *dgate = f32_at(&a, 0), *dup = f32_at(&a, 1), *dh = f32_at(&a, 2), *sig = f32_at(&a, 3), *gate = f32_at(&a, 4), *up = f32_at(&a, 5);
  if (!a.failed) wz_swiglu_backward(dgate, dup, dh, sig, gate, up, (long)num_at(&a, 6));
  return NULL;
}

static napi_value add_into(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 3, "addInto takes 3 arguments")) return NULL;
  float *out = f32_at(&a, 0), *x = f32_at(&a, 1);
  if (!a.failed) wz_add_into(out, x, (long)num_at(&a, 2));
  return NULL;
}

// attentionForward(out, att, q, k, v, T, H, KVH, D)
static napi_value attention_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 9, "attentionForward takes 9 arguments")) return NULL;
  float *out = f32_at(&a, 0), *att = f32_at(&a, 1), *q = f32_at(&a, 2), *k = f32_at(&a, 3), *v = f32_at(&a, 4);
  if (!a.failed) wz_attention_forward(out, att, q, k, v, int_at(&a, 5), int_at(&a, 6), int_at(&a, 7), int_at(&a, 8));
  return NULL;
}

// attentionBackward(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D)
static napi_value attention_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 12, "attentionBackward takes 12 arguments")) return NULL;
  float *dq = f32_at(&a, 0), *dk = f32_at(&a, 1), *dv = f32_at(&a, 2), *dout = f32_at(&a, 3), *att = f32_at(&a, 4), *q = f32_at(&a, 5),
        *k = f32_at(&a, 6), *v = f32_at(&a, 7);
  if (!a.failed) wz_attention_backward(dq, dk, dv, dout, att, q, k, v, int_at(&a, 8), int_at(&a, 9), int_at(&a, 10), int_at(&a, 11));
  return NULL;
}

// logSoftmaxForward(logp, entropy, probs, logits, targets, T, V)
static napi_value log_softmax_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 7, "logSoftmaxForward takes 7 arguments")) return NULL;
  double *logp = f64_at(&a, 0), *ent = f64_at(&a, 1);
  float *probs = f32_at(&a, 2), *logits = f32_at(&a, 3);
  int *targets = i32s_at(&a, 4);
  if (!a.failed) wz_log_softmax_forward(logp, ent, probs, logits, targets, int_at(&a, 5), int_at(&a, 6));
  return NULL;
}

// logSoftmaxBackward(dlogits, dlogp, probs, targets, T, V)
static napi_value log_softmax_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 6, "logSoftmaxBackward takes 6 arguments")) return NULL;
  float *dlogits = f32_at(&a, 0), *probs = f32_at(&a, 2);
  double *dlogp = f64_at(&a, 1);
  int *targets = i32s_at(&a, 3);
  if (!a.failed) wz_log_softmax_backward(dlogits, dlogp, probs, targets, int_at(&a, 4), int_at(&a, 5));
  return NULL;
}

static napi_value set_fast_layers(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 1, "setFastLayers takes 1 argument")) return NULL;
  wz_set_fast_layers(int_at(&a, 0));
  return NULL;
}

static napi_value fast_exp(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a, 1, "fastExp takes 1 argument")) return NULL;
  napi_value out;
  napi_create_double(env, wz_fast_exp((float)num_at(&a, 0)), &out);
  return out;
}

// The BLAS this build calls, as the library names itself: "OpenBLAS ..." or "Intel(R) ... MKL ...".
static napi_value blas_name(napi_env env, napi_callback_info info) {
  (void)info;
  char name[256];
#ifdef WZ_MKL
  mkl_get_version_string(name, sizeof name);
#else
  snprintf(name, sizeof name, "%s", openblas_get_config());
#endif
  napi_value out;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "sgemm", sgemm);
  export_fn(env, exports, "setThreads", set_threads);
  export_fn(env, exports, "blasName", blas_name);
  export_fn(env, exports, "setFastLayers", set_fast_layers);
  export_fn(env, exports, "fastExp", fast_exp);
  export_fn(env, exports, "rmsnormForward", rmsnorm_forward);
  export_fn(env, exports, "rmsnormBackward", rmsnorm_backward);
  export_fn(env, exports, "rope", rope);
  export_fn(env, exports, "swigluForward", swiglu_forward);
  export_fn(env, exports, "swigluBackward", swiglu_backward);
  export_fn(env, exports, "addInto", add_into);
  export_fn(env, exports, "attentionForward", attention_forward);
  export_fn(env, exports, "attentionBackward", attention_backward);
  export_fn(env, exports, "logSoftmaxForward", log_softmax_forward);
  export_fn(env, exports, "logSoftmaxBackward", log_softmax_backward);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
