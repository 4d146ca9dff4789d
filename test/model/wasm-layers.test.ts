// The WebAssembly layers (native/blas/layers.c compiled by src/model/kernels/wasm/build.sh)
// against the TypeScript layers on the same wasm products. WebAssembly's float64 arithmetic is
// IEEE's, the C is built without FMA contraction, exp is our own on both sides and log is
// JavaScript's own Math.log, imported: so everything, log-probabilities included, must agree bit
// for bit, on both builds of the module.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { ComputeBackend } from "../../src/model/kernels/types.ts";
import { createWasmKernel } from "../../src/model/kernels/wasm.ts";
import { closeButNotSame, pass, sameBits, shapes } from "../helpers/layer-parity.ts";

describe("wasm layers", () => {
  for (const fma of [false, true]) {
    for (const { name, cfg, T = 37 } of shapes) {
      test(`round exactly as the TypeScript layers (${name}, ${fma ? "fused" : "plain"} products, LoRA)`, async () => {
        const wasm = await createWasmKernel({ fma });
        assert.ok(wasm.layers, "the wasm kernel brings its layers");
        const typescript: ComputeBackend = { ...wasm, layers: undefined };
        const want = pass(typescript, cfg, T, true);
        const got = pass(wasm, cfg, T, true);
        sameBits(got.grads, want.grads, "gradients");
        sameBits(got.lora!, want.lora!, "adapter gradients");
        sameBits(got.logprobs, want.logprobs, "log-probabilities");
        sameBits(got.entropy, want.entropy, "entropies");
      });
    }
  }
});

test("two threads give the same bits as one", async () => {
  // Big enough that every product, attention, SwiGLU and RMSNorm's forward are split over the
  // threads (SPLIT_MACS, SPLIT_ELEMENTS: 264 x 300 rows > 2^16), and 4 heads over 2 kv heads.
  const cfg = shapes[3].cfg;
  for (const T of [251, 300]) {
    const one = pass(await createWasmKernel({ threads: 1 }), cfg, T, true);
    const two = pass(await createWasmKernel({ threads: 2 }), cfg, T, true);
    sameBits(two.grads, one.grads, `T=${T} gradients`);
    sameBits(two.lora!, one.lora!, `T=${T} adapter gradients`);
    sameBits(two.logprobs, one.logprobs, `T=${T} log-probabilities`);
  }
});

test("fast layers: every thread's instance uses them (same bits on one and two threads), close to the exact ones", async () => {
  const cfg = shapes[3].cfg;
  const T = 251;
  const exact = pass(await createWasmKernel({ threads: 1 }), cfg, T, false);
  const one = await createWasmKernel({ threads: 1, layerMode: "fast" });
  const two = await createWasmKernel({ threads: 2, layerMode: "fast" });
  assert.equal(two.name, "wasm-simd-fma-2t-fast");
  const a = pass(one, cfg, T, false);
  const b = pass(two, cfg, T, false);
  // A worker on the exact layers while the main thread is on the fast ones changes these bits.
  sameBits(b.grads, a.grads, "gradients");
  sameBits(b.logprobs, a.logprobs, "log-probabilities");
  closeButNotSame(a.grads, exact.grads, "gradients");
});

// The two WebAssembly calls used here (TypeScript ships the types only with the DOM library).
declare const WebAssembly: {
  Module: { new (bytes: Uint8Array): object; customSections(module: object, name: string): ArrayBuffer[] };
};

test("the committed wasm builds were made from the sources in the tree", () => {
  // build.sh records the hash of its sources inside each wasm (a custom section): a change to
  // layers.c (the native layers) or to matmul.c without a rebuild would leave the portable path
  // computing something else.
  const dir = new URL("../../src/model/kernels/wasm/", import.meta.url);
  const sources = [
    "matmul.c",
    "gemm.h",
    "runtime.c",
    "include/cblas.h",
    "include/math.h",
    "include/omp.h",
    "include/stdlib.h",
    "include/string.h",
    "../../../../native/blas/layers.c",
    "../../../../native/blas/layers.h",
  ];
  const hash = createHash("sha256");
  for (const f of sources) hash.update(readFileSync(new URL(f, dir)));
  const sourcesHash = hash.digest("hex");
  for (const wasm of ["kernel.wasm", "kernel-relaxed.wasm"]) {
    const module = new WebAssembly.Module(readFileSync(new URL(wasm, dir)));
    const stamps = WebAssembly.Module.customSections(module, "wz.sources.sha256");
    assert.equal(stamps.length, 1, `${wasm} carries no source stamp`);
    assert.equal(
      Buffer.from(stamps[0]).toString(),
      sourcesHash,
      `${wasm} was built from other sources: rebuild with src/model/kernels/wasm/build.sh (clang-16, lld-16)`,
    );
  }
});
