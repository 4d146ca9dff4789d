{
  "targets": [
    {
      "target_name": "wz_blas",
      "sources": ["blas.c", "layers.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas", "-fopenmp"],
      "cflags": ["-O3", "-march=native", "-ffp-contract=off", "-fopenmp"]
    }
  ]
}
