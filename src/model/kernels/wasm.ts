// The portable fast kernel: WebAssembly SIMD built from wasm/matmul.c (rebuild with
// wasm/build.sh). Operands are copied into the module's memory for each call; the copies are
// O(MK + KN + MN) against O(MKN) work, so they matter only for tiny products.
//
// Two builds of the same source: matmul-relaxed.wasm multiplies and adds with relaxed SIMD's
// madd, one fused multiply-add on CPUs that have one (1.2x the products at widths 128 and 256 on
// this machine), and matmul.wasm with a multiply and an add. Relaxed SIMD is on by default from
// Node 22; Node 20 has it behind V8's --experimental-wasm-relaxed-simd, which this module turns on
// (it only widens what the wasm decoder accepts). WZ_WASM_FMA=0, or { fma: false }, keeps the
// multiply and add. The two round differently (a fused multiply-add rounds once), so a run
// resumed on a runtime without relaxed SIMD continues with slightly different arithmetic.
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { referenceKernel } from "./reference.ts";
import type { FloatArray, MatmulKernel } from "./types.ts";

// The few WebAssembly types used here (TypeScript ships them only with the DOM library).
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
  validate(bytes: Uint8Array): boolean;
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

type Fn = (c: number, a: number, b: number, M: number, K: number, N: number, accumulate: number) => void;

interface Exports {
  memory: WasmMemory;
  __heap_base: { value: number };
  matmul_nt: Fn;
  matmul_nn: Fn;
  matmul_tn: Fn;
}

export interface WasmKernelOptions {
  /** Use the fused multiply-add build where the runtime has relaxed SIMD (default: WZ_WASM_FMA, else yes). */
  fma?: boolean;
}

/** The relaxed-SIMD build's bytes, when this runtime accepts them (turning V8's flag on if needed). */
function relaxedModule(): Uint8Array | null {
  const bytes = readFileSync(new URL("./wasm/matmul-relaxed.wasm", import.meta.url));
  if (WebAssembly.validate(bytes)) return bytes;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return WebAssembly.validate(bytes) ? bytes : null;
}

export async function createWasmKernel(options: WasmKernelOptions = {}): Promise<MatmulKernel> {
  const fma = options.fma ?? process.env.WZ_WASM_FMA !== "0";
  const relaxed = fma ? relaxedModule() : null;
  const bytes = relaxed ?? readFileSync(new URL("./wasm/matmul.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const ex = instance.exports as unknown as Exports;
  const base = (ex.__heap_base.value + 15) & ~15;
  let view = new Float32Array(ex.memory.buffer);

  function ensure(bytesNeeded: number) {
    const have = ex.memory.buffer.byteLength;
    if (base + bytesNeeded > have) {
      ex.memory.grow(Math.ceil((base + bytesNeeded - have) / 65536));
      view = new Float32Array(ex.memory.buffer);
    }
  }

  function run(
    fn: Fn,
    out: FloatArray,
    a: FloatArray,
    b: FloatArray,
    M: number,
    K: number,
    N: number,
    acc: boolean,
    aLen: number,
    bLen: number,
  ) {
    if (!(out instanceof Float32Array) || !(a instanceof Float32Array) || !(b instanceof Float32Array)) {
      throw new Error("the wasm kernel works on Float32Array only");
    }
    const cLen = M * N;
    ensure((aLen + bLen + cLen) * 4 + 64);
    const aOff = base;
    const bOff = aOff + ((aLen * 4 + 15) & ~15);
    const cOff = bOff + ((bLen * 4 + 15) & ~15);
    view.set(a.subarray(0, aLen), aOff / 4);
    view.set(b.subarray(0, bLen), bOff / 4);
    if (acc) view.set(out.subarray(0, cLen), cOff / 4);
    fn(cOff, aOff, bOff, M, K, N, acc ? 1 : 0);
    out.set(view.subarray(cOff / 4, cOff / 4 + cLen));
  }

  const kernel: MatmulKernel = {
    name: relaxed ? "wasm-simd-fma" : "wasm-simd",
    matmulNT(out, a, b, M, K, N, acc) {
      if (a instanceof Float64Array) return referenceKernel.matmulNT(out, a, b, M, K, N, acc);
      run(ex.matmul_nt, out, a, b, M, K, N, acc, M * K, N * K);
    },
    matmulNN(out, a, b, M, K, N, acc) {
      if (a instanceof Float64Array) return referenceKernel.matmulNN(out, a, b, M, K, N, acc);
      run(ex.matmul_nn, out, a, b, M, K, N, acc, M * K, K * N);
    },
    matmulTN(out, a, b, M, K, N, acc) {
      if (a instanceof Float64Array) return referenceKernel.matmulTN(out, a, b, M, K, N, acc);
      run(ex.matmul_tn, out, a, b, M, K, N, acc, K * M, K * N);
    },
  };
  return kernel;
}
