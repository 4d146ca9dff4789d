{
  "targets": [
    {
      "target_name": "wz_blas",
      "sources": ["blas.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas"],
      "cflags": ["-O2"]
    }
  ]
}
