// What layers.c takes from libm, for its WebAssembly build. sqrt is WebAssembly's own (correctly
// rounded, as everywhere); log is JavaScript's Math.log, imported, so that a log-softmax's
// log-probabilities are the very ones the TypeScript layers compute.
#pragma once
#define INFINITY __builtin_inff()
static inline double sqrt(double x) { return __builtin_sqrt(x); }
__attribute__((import_module("env"), import_name("log"))) double log(double x);
