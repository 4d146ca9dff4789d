// WebAssembly runs layers.c on one thread: its OpenMP pragmas are ignored (no -fopenmp), and
// these answer the two calls it makes.
#pragma once
static inline int omp_get_num_threads(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
