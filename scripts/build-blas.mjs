// Builds the optional native addon (native/blas: the model's layers in C and a BLAS's sgemm) when
// OpenBLAS is installed (Debian: apt-get install libopenblas-dev), and a second build of the same
// sources against Intel MKL (native/blas-mkl, the `mkl` kernel) when MKL is found: in WZ_MKL_ROOT,
// in the project's .venv (scripts/setup-python.sh installs PyPI's mkl and mkl-include), or in
// oneAPI's /opt/intel/oneapi/mkl/latest. Without either, nothing is built and the portable
// WebAssembly kernel is used. Never fails a user's install; with WZ_REQUIRE_NATIVE=1 (set by .ci/run,
// which installs both libraries first) a library missing or a build failing exits 1. Run it again (node scripts/build-blas.mjs)
// after installing either library.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

// npm tells its scripts where its bundled node-gyp is; node's own headers make the build offline.
const gyp =
  process.env.npm_config_node_gyp ?? "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js";
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync("/usr/include/node/node_api.h") ? "/usr" : undefined);

function build(directory, defines = []) {
  const args = [gyp, "rebuild", `--directory=${directory}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  if (defines.length) args.push("--", ...defines);
  return spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] }).status === 0;
}

/** MKL's include and lib folders and its libraries' suffix (".so", or ".so.3" from PyPI's wheels). */
function findMkl() {
  const roots = [
    process.env.WZ_MKL_ROOT,
    resolve(".venv"),
    process.env.MKLROOT,
    "/opt/intel/oneapi/mkl/latest",
  ].filter(Boolean);
  for (const root of roots) {
    const include = join(root, "include");
    if (!existsSync(join(include, "mkl_cblas.h"))) continue;
    for (const lib of [join(root, "lib"), join(root, "lib", "intel64")]) {
      if (!existsSync(lib)) continue;
      // The suffix all three libraries share, shortest first (.so before .so.2).
      const suffixes = readdirSync(lib)
        .filter((f) => /^libmkl_core\.so(\.\d+)?$/.test(f))
        .map((f) => f.slice("libmkl_core".length))
        .sort((a, b) => a.length - b.length);
      const so = suffixes.find((s) =>
        ["libmkl_intel_lp64", "libmkl_sequential"].every((l) => existsSync(join(lib, l + s))),
      );
      if (so) return { root, include, lib, so };
    }
  }
  return null;
}

const failures = [];
const openblas = ["/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h", "/usr/include/openblas/cblas.h"];
if (!openblas.some((h) => existsSync(h))) {
  failures.push("OpenBLAS not found");
  console.log(
    "wz: OpenBLAS not found (apt-get install libopenblas-dev for the fast native path); the wasm kernel will be used",
  );
} else if (build("native/blas")) console.log("wz: built the native addon on OpenBLAS (native/blas)");
else {
  failures.push("the OpenBLAS build failed");
  console.log("wz: could not build the native addon; the wasm kernel will be used");
}

const mkl = findMkl();
if (!mkl) failures.push("MKL not found");
else if (
  build("native/blas-mkl", [`-Dmkl_include=${mkl.include}`, `-Dmkl_lib=${mkl.lib}`, `-Dmkl_so=${mkl.so}`])
)
  console.log(`wz: built the native addon on Intel MKL from ${mkl.root} (native/blas-mkl; --kernel mkl)`);
else {
  failures.push("the MKL build failed");
  console.log(`wz: could not build the native addon on Intel MKL from ${mkl.root}`);
}
if (process.env.WZ_REQUIRE_NATIVE === "1" && failures.length) {
  console.error(`wz: WZ_REQUIRE_NATIVE=1 and a native build is missing: ${failures.join("; ")}`);
  process.exit(1);
}
