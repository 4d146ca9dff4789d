// memset and memcpy for the WebAssembly build: with bulk memory, clang turns them into
// WebAssembly's memory.fill and memory.copy.
#pragma once
#include <stddef.h>
#define memset(p, v, n) __builtin_memset(p, v, n)
#define memcpy(d, s, n) __builtin_memcpy(d, s, n)
