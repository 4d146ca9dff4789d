{
  "targets": [
    {
      "target_name": "wz_blas",
      "sources": ["blas.c", "layers.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas", "-fopenmp"],
      "cflags": ["-O3", "-march=native", "-mprefer-vector-width=512", "-ffp-contract=off", "-fopenmp"]
    }
  ]
}
