// Found first by the MKL build (binding.gyp's include_dirs): layers.c and blas.c include <cblas.h>
// and get Intel MKL's CBLAS, whose cblas_sgemm has OpenBLAS's signature.
#include <mkl_cblas.h>
#include <mkl_service.h>
