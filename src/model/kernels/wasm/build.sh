#!/usr/bin/env bash
# Rebuilds matmul.wasm (simd128: a multiply and an add) and matmul-relaxed.wasm (relaxed SIMD's
# fused multiply-add) from matmul.c. Debian: apt-get install clang-16 lld-16 (relaxed SIMD's
# final opcodes need LLVM 16 or later).
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/lib/llvm-16/bin"
CLANG=${CLANG:-$(command -v clang-16 || command -v clang)}
build() {
  "$CLANG" --target=wasm32 -O3 -msimd128 "$@" -nostdlib -fno-builtin \
    -Wl,--no-entry -Wl,--export=matmul_nt -Wl,--export=matmul_nn -Wl,--export=matmul_tn \
    -Wl,--export=__heap_base matmul.c
}
build -o matmul.wasm
build -mrelaxed-simd -DRELAXED -o matmul-relaxed.wasm
echo "built $(pwd)/matmul.wasm ($(wc -c < matmul.wasm) bytes), matmul-relaxed.wasm ($(wc -c < matmul-relaxed.wasm) bytes)"
