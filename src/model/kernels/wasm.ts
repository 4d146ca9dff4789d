// The portable fast kernel: WebAssembly SIMD built from wasm/matmul.c (rebuild with
// wasm/build.sh). Operands are copied into the module's memory for each call; the copies are
// O(MK + KN + MN) against O(MKN) work, so they matter only for tiny products.
import { readFileSync } from "node:fs";
import { referenceKernel } from "./reference.ts";
import type { FloatArray, MatmulKernel } from "./types.ts";

// The few WebAssembly types used here (TypeScript ships them only with the DOM library).
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
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

export async function createWasmKernel(): Promise<MatmulKernel> {
  const bytes = readFileSync(new URL("./wasm/matmul.wasm", import.meta.url));
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
    name: "wasm-simd",
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
