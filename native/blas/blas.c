// A minimal N-API binding to OpenBLAS's cblas_sgemm, for the optional fast matmul path.
// sgemm(transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc) with alpha = 1, on Float32Arrays
// (views are fine: the data pointer includes the byte offset). No copies.
#include <cblas.h>
#include <node_api.h>

static float *f32(napi_env env, napi_value v) {
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "expected a Float32Array");
    return NULL;
  }
  return (float *)data;
}

static int i32(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value a[12];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc != 12) {
    napi_throw_error(env, NULL, "sgemm takes 12 arguments");
    return NULL;
  }
  double beta = 0;
  napi_get_value_double(env, a[9], &beta);
  float *A = f32(env, a[5]), *B = f32(env, a[7]), *C = f32(env, a[10]);
  if (!A || !B || !C) return NULL;
  cblas_sgemm(CblasRowMajor, i32(env, a[0]) ? CblasTrans : CblasNoTrans, i32(env, a[1]) ? CblasTrans : CblasNoTrans,
              i32(env, a[2]), i32(env, a[3]), i32(env, a[4]), 1.0f, A, i32(env, a[6]), B, i32(env, a[8]), (float)beta, C,
              i32(env, a[11]));
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  openblas_set_num_threads(i32(env, a[0]));
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, sgemm, NULL, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, set_threads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
