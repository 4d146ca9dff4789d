#!/usr/bin/env bash
# Rebuilds matmul.wasm from matmul.c (Debian: apt-get install clang-14 lld-14).
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/lib/llvm-14/bin"
CLANG=${CLANG:-$(command -v clang-14 || command -v clang)}
"$CLANG" --target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin \
  -Wl,--no-entry -Wl,--export=matmul_nt -Wl,--export=matmul_nn -Wl,--export=matmul_tn \
  -Wl,--export=__heap_base \
  -o matmul.wasm matmul.c
echo "built $(pwd)/matmul.wasm ($(wc -c < matmul.wasm) bytes)"
