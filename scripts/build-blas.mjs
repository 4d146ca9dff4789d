// Builds the optional OpenBLAS matmul addon (native/blas) when OpenBLAS is installed
// (Debian: apt-get install libopenblas-dev). Without it nothing is built and the portable
// WebAssembly kernel is used. Never fails the install.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const headers = ["/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h", "/usr/include/openblas/cblas.h"];
if (!headers.some((h) => existsSync(h))) {
  console.log(
    "wz: OpenBLAS not found (apt-get install libopenblas-dev for the fast matmul path); the wasm kernel will be used",
  );
  process.exit(0);
}
// npm tells its scripts where its bundled node-gyp is; node's own headers make the build offline.
const gyp =
  process.env.npm_config_node_gyp ?? "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js";
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync("/usr/include/node/node_api.h") ? "/usr" : undefined);
const args = [gyp, "rebuild", "--directory=native/blas", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
console.log(
  r.status === 0
    ? "wz: built the OpenBLAS matmul addon (native/blas)"
    : "wz: could not build the OpenBLAS addon; the wasm kernel will be used",
);
