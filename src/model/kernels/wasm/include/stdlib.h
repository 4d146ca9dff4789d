// malloc and free for layers.c's scratch buffers in its WebAssembly build (runtime.c).
#pragma once
#include <stddef.h>
void *malloc(size_t n);
void free(void *p);
