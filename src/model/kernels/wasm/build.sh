#!/usr/bin/env bash
# Rebuilds the portable kernel from matmul.c (the products), native/blas/layers.c (the other
# layers, the native path's own C, with include/ and runtime.c standing in for the C library,
# CBLAS and OpenMP) into kernel.wasm (simd128: a multiply and an add) and kernel-relaxed.wasm
# (relaxed SIMD's fused multiply-add in the products). Debian: apt-get install clang-16 lld-16
# (relaxed SIMD's final opcodes need LLVM 16 or later). The layers are built without FMA
# contraction, as on the native path, so that they round as the TypeScript layers do.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/lib/llvm-16/bin"
CLANG=${CLANG:-$(command -v clang-16 || command -v clang)}
EXPORTS=(wz_gemm wz_arena wz_attention_scratch_bytes wz_attention_forward_heads wz_attention_backward_heads
  wz_rmsnorm_forward wz_rmsnorm_backward wz_rope
  wz_swiglu_forward wz_swiglu_backward wz_add_into
  wz_log_softmax_forward wz_log_softmax_backward wz_set_fast_layers __heap_base __stack_pointer)
build() {
  "$CLANG" --target=wasm32 -O3 -msimd128 -mbulk-memory -matomics -ffp-contract=off -fno-builtin "$@" -nostdlib -Iinclude \
    -Wno-unknown-pragmas -Wno-unknown-attributes -Wno-ignored-attributes \
    -Wl,--no-entry -Wl,-z,stack-size=1048576 -Wl,--import-memory -Wl,--shared-memory -Wl,--initial-memory=4194304 -Wl,--max-memory=4294967296 "${EXPORTS[@]/#/-Wl,--export=}" \
    matmul.c runtime.c ../../../../native/blas/layers.c
}
build -o kernel.wasm
build -mrelaxed-simd -DRELAXED -o kernel-relaxed.wasm
# What the builds were made from, recorded inside each wasm (a custom section, stamp.mjs):
# test/model/wasm-layers.test.ts hashes the same files, in this order, and fails when a source
# changed without a rebuild.
SOURCES=(matmul.c gemm.h runtime.c include/cblas.h include/math.h include/omp.h include/stdlib.h include/string.h
  ../../../../native/blas/layers.c ../../../../native/blas/layers.h)
node stamp.mjs "$(cat "${SOURCES[@]}" | sha256sum | cut -d' ' -f1)" kernel.wasm kernel-relaxed.wasm
echo "built $(pwd)/kernel.wasm ($(wc -c < kernel.wasm) bytes), kernel-relaxed.wasm ($(wc -c < kernel-relaxed.wasm) bytes)"
