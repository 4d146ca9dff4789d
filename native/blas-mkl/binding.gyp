# The native addon built against Intel MKL instead of OpenBLAS: the same sources (../blas), only
# the BLAS differs. scripts/build-blas.mjs builds it when it finds MKL (the project's .venv after
# scripts/setup-python.sh, WZ_MKL_ROOT, or /opt/intel/oneapi/mkl/latest) and passes
# -Dmkl_lib=<its lib folder> -Dmkl_include=<its include folder> -Dmkl_so=<the libraries' suffix>.
# MKL is linked sequential: the work is split over the cores by layers.c, as with OpenBLAS.
{
  "targets": [
    {
      "target_name": "wz_blas_mkl",
      "sources": ["../blas/blas.c", "../blas/layers.c"],
      "defines": ["WZ_MKL"],
      "include_dirs": [".", "../blas", "<(mkl_include)"],
      "libraries": [
        "<(mkl_lib)/libmkl_intel_lp64<(mkl_so)",
        "<(mkl_lib)/libmkl_sequential<(mkl_so)",
        "<(mkl_lib)/libmkl_core<(mkl_so)",
        "-Wl,-rpath,<(mkl_lib)",
        "-fopenmp"
      ],
      "cflags": ["-O3", "-march=native", "-mprefer-vector-width=512", "-ffp-contract=off", "-fopenmp"]
    }
  ]
}
