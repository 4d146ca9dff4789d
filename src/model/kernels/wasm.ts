// The portable fast kernel: WebAssembly SIMD, built by wasm/build.sh from wasm/matmul.c (the
// products) and native/blas/layers.c (every other layer: the native path's own C, compiled to
// WebAssembly). The products' rows, attention's heads, SwiGLU's elements and RMSNorm forward's
// rows are split over `threads` threads (wasm-worker.mjs: more instances of the module on the same
// memory); the other layers run on the calling thread.
//
// The module's memory is shared (a SharedArrayBuffer, which stays valid when the memory grows),
// and the kernel hands out arrays in it (`allocate`): the model keeps its weights, their gradients
// and its workspaces there, and the module reads and writes them in place. Any other operand
// (LoRA adapters, arrays from elsewhere) is copied in for the call and its results copied back:
// O(MK + KN + MN) against a product's O(MKN) work, and for a layer about as many passes over memory
// as the layer makes itself. Allocated space is never reused (a workspace that grows leaves its old
// buffer behind), so no array can ever alias another; past MAX_ALLOCATED bytes, allocate() says no
// and the caller makes an ordinary array.
//
// The layers round exactly as the TypeScript layers do with this kernel's products (double
// intermediates in the same order, no FMA contraction, our exp, JavaScript's Math.log imported),
// so the two give the same bits (test/model/wasm-layers.test.ts).
//
// Two builds of the same source: kernel-relaxed.wasm multiplies and adds in the products with
// relaxed SIMD's madd, one fused multiply-add on CPUs that have one (1.2x the products at widths
// 128 and 256 on this machine), and kernel.wasm with a multiply and an add. Relaxed SIMD is on by
// default from Node 22; Node 20 has it behind V8's --experimental-wasm-relaxed-simd, which this
// module turns on (it only widens what the wasm decoder accepts). WZ_WASM_FMA=0, or
// { fma: false }, keeps the multiply and add. The two round differently (a fused multiply-add
// rounds once), so a run resumed on a runtime without relaxed SIMD continues with slightly
// different arithmetic.

import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { type LayerMode, layerModeFromEnv } from "./layer-mode.ts";
import { jsLayerOps, type LayerOps } from "./layer-ops.ts";
import { referenceKernel } from "./reference.ts";
import type { ComputeBackend, FloatArray } from "./types.ts";

// The few WebAssembly types used here (TypeScript ships them only with the DOM library).
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: unknown }>;
  validate(bytes: Uint8Array): boolean;
  Memory: new (limits: { initial: number; maximum: number; shared: true }) => WasmMemory;
};
/** The module's memory: shared, so a buffer taken from it stays valid when it grows. */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

type Fn = (...args: number[]) => void;

interface Exports {
  __heap_base: { value: number };
  wz_gemm: Fn;
  wz_arena: Fn;
  wz_attention_scratch_bytes: (T: number, D: number, backward: number) => number;
  wz_attention_forward_heads: Fn;
  wz_attention_backward_heads: Fn;
  wz_rmsnorm_forward: Fn;
  wz_rmsnorm_backward: Fn;
  wz_rope: Fn;
  wz_swiglu_forward: Fn;
  wz_swiglu_backward: Fn;
  wz_add_into: Fn;
  wz_log_softmax_forward: Fn;
  wz_log_softmax_backward: Fn;
  wz_set_fast_layers: (on: number) => void;
}

export interface WasmKernelOptions {
  /** Use the fused multiply-add build where the runtime has relaxed SIMD (default: WZ_WASM_FMA, else yes). */
  fma?: boolean;
  /** Run the other layers in WebAssembly too (default); false: the TypeScript layers. */
  layers?: boolean;
  /** Threads the products, attention, SwiGLU and RMSNorm's forward are split over (default 1). */
  threads?: number;
  /** The C layers' arithmetic (default: WZ_LAYERS, else exact; src/model/kernels/layer-mode.ts). */
  layerMode?: LayerMode;
}

/** The relaxed-SIMD build's bytes, when this runtime accepts them (turning V8's flag on if needed). */
function relaxedModule(): Uint8Array | null {
  const bytes = readFileSync(new URL("./wasm/kernel-relaxed.wasm", import.meta.url));
  if (WebAssembly.validate(bytes)) return bytes;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return WebAssembly.validate(bytes) ? bytes : null;
}

type Typed = Float32Array | Float64Array | Int32Array;

/** Bytes allocate() hands out at most, per kernel (the memory itself may grow to 4 GiB). */
const MAX_ALLOCATED = 2 ** 31;
/** The memory the module declares (build.sh: --initial-memory) and its maximum, in 64 KiB pages. */
const INITIAL_PAGES = 64;
const MAX_PAGES = 65536;
/** Stack bytes of a worker's instance (build.sh's stack-size, as the main instance's). */
const WORKER_STACK = 2 ** 20;
/** A worker's control block: 16 integers, 16 float64 arguments, a failure's message (wasm-worker.mjs). */
const CONTROL_BYTES = 192 + 512;
/** Work is split over threads from this many multiply-adds (waking a thread costs microseconds). */
const SPLIT_MACS = 2 ** 20;
/** What a worker runs: indices into wasm-worker.mjs's `functions`. */
const GEMM = 0;
const ATTENTION_FORWARD = 1;
const ATTENTION_BACKWARD = 2;
const SWIGLU_FORWARD = 3;
const SWIGLU_BACKWARD = 4;
const RMSNORM_FORWARD = 5;
/** Row-wise layers are split over threads from this many elements. */
const SPLIT_ELEMENTS = 2 ** 16;

/**
 * One call's operands: arrays in the module's memory are passed where they are; any other is
 * laid out after the allocated space (16-byte aligned), inputs copied in, outputs copied back
 * after the call.
 */
class Frame {
  private at: number;
  private readonly back: [Typed, number, number][] = [];
  constructor(private readonly mem: ModuleMemory) {
    this.at = mem.top;
  }
  private place(a: Typed, n: number, copyIn: boolean, copyOut: boolean): number {
    if (this.mem.owns(a)) return a.byteOffset;
    const ptr = this.scratch(n * a.BYTES_PER_ELEMENT);
    if (copyIn) this.mem.view(a).set(a.subarray(0, n), ptr / a.BYTES_PER_ELEMENT);
    if (copyOut) this.back.push([a, ptr, n]);
    return ptr;
  }
  in(a: Typed, n: number): number {
    return this.place(a, n, true, false);
  }
  out(a: Typed, n: number): number {
    return this.place(a, n, false, true);
  }
  inout(a: Typed, n: number): number {
    return this.place(a, n, true, true);
  }
  /** bytes for the call (a copied operand, or scratch), after what is placed already. */
  scratch(bytes: number): number {
    const ptr = this.at;
    this.at = (ptr + bytes + 15) & ~15;
    this.mem.ensure(this.at);
    return ptr;
  }
  /** Runs fn with the arena for its scratch after the operands, then copies the outputs back. */
  call(fn: Fn, ...args: number[]): void {
    this.mem.exports.wz_arena(this.at);
    fn(...args);
    for (const [a, ptr, n] of this.back) {
      const e = a.BYTES_PER_ELEMENT;
      a.set(this.mem.view(a).subarray(ptr / e, ptr / e + n));
    }
  }
}

class ModuleMemory {
  /** The end of the allocated space: a call's copied operands and scratch go above it. */
  top: number;
  private readonly base: number;
  private buffer: ArrayBufferLike | null = null;
  /** Every buffer object the memory has had: it gets a new one each time it grows. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private f32: Float32Array = new Float32Array(0);
  private f64: Float64Array = new Float64Array(0);
  private i32: Int32Array = new Int32Array(0);
  constructor(
    readonly memory: WasmMemory,
    readonly exports: Exports,
  ) {
    this.base = (exports.__heap_base.value + 63) & ~63;
    this.top = this.base;
  }
  ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
  }
  /** Takes in the memory's current buffer, and views of it, when the memory has grown. */
  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.buffers.add(buffer);
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
  }
  /** Whether a is a view of this module's memory (one of its buffers, before or after growing). */
  owns(a: Typed): boolean {
    this.refresh();
    return this.buffers.has(a.buffer);
  }
  /** A view of the memory of a's type (the module may have grown it). */
  view<T extends Typed>(a: T): T {
    this.refresh();
    return (a instanceof Float32Array ? this.f32 : a instanceof Float64Array ? this.f64 : this.i32) as T;
  }
  /** The address of n bytes, 64-byte aligned, never handed out again (or -1 past MAX_ALLOCATED). */
  reserve(bytes: number): number {
    const end = (this.top + bytes + 63) & ~63;
    if (end - this.base > MAX_ALLOCATED) return -1;
    this.ensure(end);
    const at = this.top;
    this.top = end;
    return at;
  }
  /** n zeroed floats in the memory, 64-byte aligned, never handed out again; null past MAX_ALLOCATED. */
  allocate(n: number): Float32Array | null {
    const at = this.reserve(n * 4);
    if (at < 0) return null;
    this.refresh();
    return new Float32Array(this.memory.buffer, at, n).fill(0);
  }
  frame(): Frame {
    return new Frame(this);
  }
}

/**
 * One more thread for the kernel (wasm-worker.mjs): its own instance on the same memory, with its
 * own stack there. The main thread writes a job (a function and its arguments) into a shared
 * control block and wakes it; both compute their share; the main thread then waits for it
 * (Atomics.wait, which Node allows on the main thread). It never keeps the process alive. A
 * failure in the worker (a trap) is reported through the control block and thrown here; the worker
 * allocates nothing, so it has no other way to die.
 */
class WasmThread {
  private job = 0;
  private readonly args: Float64Array;
  private constructor(
    private readonly ctrl: Int32Array,
    readonly worker: Worker,
  ) {
    this.args = new Float64Array(ctrl.buffer, 64, 16);
  }

  static async start(module: object, mem: ModuleMemory): Promise<WasmThread> {
    const stack = mem.reserve(WORKER_STACK);
    if (stack < 0) throw new Error("no room for a wasm thread's stack");
    const ctrl = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES), 0, 16);
    const workerData = { module, memory: mem.memory, control: ctrl.buffer, stackTop: stack + WORKER_STACK };
    const worker = new Worker(new URL("./wasm-worker.mjs", import.meta.url), { workerData });
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    worker.unref();
    return new WasmThread(ctrl, worker);
  }

  /** Starts function fn (GEMM ... RMSNORM_FORWARD: an index into the worker's table) on these arguments. */
  begin(fn: number, args: number[]): void {
    this.ctrl[2] = fn;
    this.ctrl[3] = args.length;
    this.args.set(args);
    this.job++;
    Atomics.store(this.ctrl, 0, this.job);
    Atomics.notify(this.ctrl, 0);
  }

  /** Waits until the thread has done its job. */
  end(): void {
    // The thread's share takes about as long as ours: look before sleeping.
    const until = performance.now() + 0.2;
    while (Atomics.load(this.ctrl, 1) !== this.job && performance.now() < until);
    for (;;) {
      const done = Atomics.load(this.ctrl, 1);
      if (done === this.job) return;
      if (done === -1) {
        const text = new Uint8Array(this.ctrl.buffer, 192, this.ctrl[4]).slice();
        throw new Error(`a wasm thread failed: ${new TextDecoder().decode(text)}`);
      }
      Atomics.wait(this.ctrl, 1, done);
    }
  }
}

/**
 * Runs a function over [0, count) in `parts` ranges of whole multiples of `step` (the last one
 * shorter): range p on helper p - 1 (function number fn of its table), range 0 on the calling
 * thread (`local`), and returns when all are done. `args` gives a range's arguments.
 */
function onThreads(
  helpers: WasmThread[],
  local: Fn,
  fn: number,
  count: number,
  parts: number,
  step: number,
  args: (lo: number, hi: number, p: number) => number[],
): void {
  const chunk = Math.ceil(count / parts / step) * step;
  const used: WasmThread[] = [];
  for (let p = 1; p < parts && p * chunk < count; p++) {
    helpers[p - 1].begin(fn, args(p * chunk, Math.min(count, (p + 1) * chunk), p));
    used.push(helpers[p - 1]);
  }
  local(...args(0, Math.min(count, chunk), 0));
  for (const h of used) h.end();
}

/** A kernel's threads end when the kernel is collected (they never keep the process alive either). */
const threadsOf = new FinalizationRegistry((workers: Worker[]) => {
  for (const w of workers) void w.terminate();
});

const isF32 = (x: FloatArray): x is Float32Array => x instanceof Float32Array;
const f64 = (x: ArrayLike<number>): Float64Array => (x instanceof Float64Array ? x : Float64Array.from(x));
const i32 = (x: ArrayLike<number>): Int32Array => (x instanceof Int32Array ? x : Int32Array.from(x));

/** The layers in WebAssembly for float32 arrays; float64 (gradient checks) goes to the TypeScript ones. */
function wasmLayerOps(mem: ModuleMemory, helpers: WasmThread[], js: LayerOps): LayerOps {
  const ex = mem.exports;
  const threads = helpers.length + 1;
  /**
   * Attention over ranges of `heads` (query heads, or the backward's key/value heads), one a
   * thread, each with its scratch after the operands: a head's result does not depend on the
   * thread that computes it. `args` ends with T, H, KVH, D; `work` is multiply-adds.
   */
  const byHeads = (f: Frame, backward: boolean, heads: number, args: number[], work: number) => {
    const [T, D] = [args[args.length - 4], args[args.length - 1]];
    const parts = work >= SPLIT_MACS ? Math.min(threads, heads) : 1;
    const bytes = ex.wz_attention_scratch_bytes(T, D, backward ? 1 : 0);
    const scratch = Array.from({ length: parts }, () => f.scratch(bytes));
    f.call(() =>
      onThreads(
        helpers,
        backward ? ex.wz_attention_backward_heads : ex.wz_attention_forward_heads,
        backward ? ATTENTION_BACKWARD : ATTENTION_FORWARD,
        heads,
        parts,
        1,
        (h0, h1, p) => [...args, h0, h1, scratch[p]],
      ),
    );
  };
  /** fn(...arrays, n) on float32 arrays of N elements, in ranges of elements, one a thread. */
  const elementwise = (f: Frame, local: Fn, fn: number, ptrs: number[], N: number) => {
    const parts = N >= SPLIT_ELEMENTS ? threads : 1;
    f.call(() =>
      onThreads(helpers, local, fn, N, parts, 4, (i0, i1) => [...ptrs.map((ptr) => ptr + i0 * 4), i1 - i0]),
    );
  };
  return {
    // Rows of the norm's forward (each row alone: the backward's weight gradient sums over rows,
    // so it stays on one thread) and elements of SwiGLU split over the threads.
    rmsnormForward(out, rstd, inp, weight, N, C, eps) {
      if (!isF32(out)) return js.rmsnormForward(out, rstd, inp, weight, N, C, eps);
      const f = mem.frame();
      const [po, pr, pi, pw] = [f.out(out, N * C), f.out(rstd, N), f.in(inp, N * C), f.in(weight, C)];
      const parts = N * C >= SPLIT_ELEMENTS ? threads : 1;
      f.call(() =>
        onThreads(helpers, ex.wz_rmsnorm_forward, RMSNORM_FORWARD, N, parts, 1, (n0, n1) => [
          po + n0 * C * 4,
          pr + n0 * 4,
          pi + n0 * C * 4,
          pw,
          n1 - n0,
          C,
          eps,
        ]),
      );
    },
    rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C) {
      if (!isF32(dinp)) return js.rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
      const f = mem.frame();
      const args = [f.inout(dinp, N * C), f.inout(dweight, C), f.in(dout, N * C), f.in(inp, N * C)];
      f.call(ex.wz_rmsnorm_backward, ...args, f.in(weight, C), f.in(rstd, N), N, C);
    },
    ropeForward(x, T, H, D, cos, sin) {
      if (!isF32(x)) return js.ropeForward(x, T, H, D, cos, sin);
      const f = mem.frame();
      const n = (T * D) / 2;
      f.call(ex.wz_rope, f.inout(x, T * H * D), T, H, D, f.in(cos, n), f.in(sin, n), 0);
    },
    ropeBackward(dx, T, H, D, cos, sin) {
      if (!isF32(dx)) return js.ropeBackward(dx, T, H, D, cos, sin);
      const f = mem.frame();
      const n = (T * D) / 2;
      f.call(ex.wz_rope, f.inout(dx, T * H * D), T, H, D, f.in(cos, n), f.in(sin, n), 1);
    },
    attentionForward(out, att, q, k, v, T, H, KVH, D) {
      if (!isF32(out)) return js.attentionForward(out, att, q, k, v, T, H, KVH, D);
      const f = mem.frame();
      const ptrs = [f.out(out, T * H * D), f.out(att, H * T * T), f.in(q, T * H * D)];
      ptrs.push(f.in(k, T * KVH * D), f.in(v, T * KVH * D));
      byHeads(f, false, H, [...ptrs, T, H, KVH, D], (H * T * T * D) / 2);
    },
    attentionBackward(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D) {
      if (!isF32(dq)) return js.attentionBackward(dq, dk, dv, dout, att, q, k, v, T, H, KVH, D);
      const f = mem.frame();
      const ptrs = [f.inout(dq, T * H * D), f.inout(dk, T * KVH * D), f.inout(dv, T * KVH * D)];
      ptrs.push(f.in(dout, T * H * D), f.in(att, H * T * T), f.in(q, T * H * D));
      ptrs.push(f.in(k, T * KVH * D), f.in(v, T * KVH * D));
      byHeads(f, true, KVH, [...ptrs, T, H, KVH, D], H * T * T * D);
    },
    swigluForward(h, sig, gate, up, N) {
      if (!isF32(h)) return js.swigluForward(h, sig, gate, up, N);
      const f = mem.frame();
      const ptrs = [f.out(h, N), f.out(sig, N), f.in(gate, N), f.in(up, N)];
      elementwise(f, ex.wz_swiglu_forward, SWIGLU_FORWARD, ptrs, N);
    },
    swigluBackward(dgate, dup, dh, sig, gate, up, N) {
      if (!isF32(dgate)) return js.swigluBackward(dgate, dup, dh, sig, gate, up, N);
      const f = mem.frame();
      const ptrs = [f.out(dgate, N), f.out(dup, N), f.in(dh, N), f.in(sig, N), f.in(gate, N), f.in(up, N)];
      elementwise(f, ex.wz_swiglu_backward, SWIGLU_BACKWARD, ptrs, N);
    },
    addInto(out, x, N) {
      if (!isF32(out)) return js.addInto(out, x, N);
      const f = mem.frame();
      f.call(ex.wz_add_into, f.inout(out, N), f.in(x, N), N);
    },
    logSoftmaxForward(logp, entropy, probs, logits, targets, T, V) {
      if (!isF32(probs)) return js.logSoftmaxForward(logp, entropy, probs, logits, targets, T, V);
      const f = mem.frame();
      const args = [f.out(logp, T), f.out(entropy, T), f.out(probs, T * V), f.in(logits, T * V)];
      f.call(ex.wz_log_softmax_forward, ...args, f.in(i32(targets), T), T, V);
    },
    logSoftmaxBackward(dlogits, dlogp, probs, targets, T, V) {
      if (!isF32(dlogits)) return js.logSoftmaxBackward(dlogits, dlogp, probs, targets, T, V);
      const f = mem.frame();
      const args = [f.out(dlogits, T * V), f.in(f64(dlogp), T), f.in(probs, T * V), f.in(i32(targets), T)];
      f.call(ex.wz_log_softmax_backward, ...args, T, V);
    },
  };
}

export async function createWasmKernel(options: WasmKernelOptions = {}): Promise<ComputeBackend> {
  const fma = options.fma ?? process.env.WZ_WASM_FMA !== "0";
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`threads must be a positive integer, got ${threads}`);
  const relaxed = fma ? relaxedModule() : null;
  const module = await WebAssembly.compile(
    relaxed ?? readFileSync(new URL("./wasm/kernel.wasm", import.meta.url)),
  );
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory, log: Math.log } });
  const mem = new ModuleMemory(memory, instance.exports as Exports);
  const ex = mem.exports;
  // A global of the module's (shared) memory: every thread's instance reads the same one.
  const fastLayers = options.layers !== false && (options.layerMode ?? layerModeFromEnv()) === "fast";
  ex.wz_set_fast_layers(fastLayers ? 1 : 0);
  const helpers: WasmThread[] = [];
  for (let t = 1; t < threads; t++) helpers.push(await WasmThread.start(module, mem));

  // C[M,N] (+)= op(A) op(B) with op(A)[i,k] = A[i sai + k sak], op(B)[k,j] = B[k sbk + j sbj]: the
  // rows of C in parts of whole register tiles, one a thread. A row's arithmetic does not depend
  // on which thread computes it, so the thread count never changes a result.
  function product(
    out: FloatArray,
    a: FloatArray,
    b: FloatArray,
    dims: number[],
    strides: number[],
    acc: boolean,
  ) {
    if (!isF32(out) || !isF32(a) || !isF32(b)) throw new Error("the wasm kernel works on Float32Array only");
    const [M, K, N] = dims;
    const [sai, sak, sbk, sbj] = strides;
    const f = mem.frame();
    const [pc, pa, pb] = [acc ? f.inout(out, M * N) : f.out(out, M * N), f.in(a, M * K), f.in(b, K * N)];
    const parts = M * K * N >= SPLIT_MACS ? threads : 1;
    f.call(() =>
      onThreads(helpers, ex.wz_gemm, GEMM, M, parts, 4, (m0, m1) => [
        pc + m0 * N * 4,
        N,
        pa + m0 * sai * 4,
        sai,
        sak,
        pb,
        sbk,
        sbj,
        m1 - m0,
        K,
        N,
        acc ? 1 : 0,
      ]),
    );
  }

  const matmuls: ComputeBackend = {
    name: `${relaxed ? "wasm-simd-fma" : "wasm-simd"}${threads > 1 ? `-${threads}t` : ""}${fastLayers ? "-fast" : ""}`,
    threads,
    allocate: (n) => mem.allocate(n),
    matmulNT(out, a, b, M, K, N, acc) {
      if (a instanceof Float64Array) return referenceKernel.matmulNT(out, a, b, M, K, N, acc);
      product(out, a, b, [M, K, N], [K, 1, 1, K], acc);
    },
    matmulNN(out, a, b, M, K, N, acc) {
      if (a instanceof Float64Array) return referenceKernel.matmulNN(out, a, b, M, K, N, acc);
      product(out, a, b, [M, K, N], [K, 1, N, 1], acc);
    },
    matmulTN(out, a, b, M, K, N, acc) {
      if (a instanceof Float64Array) return referenceKernel.matmulTN(out, a, b, M, K, N, acc);
      product(out, a, b, [M, K, N], [1, M, N, 1], acc);
    },
  };
  const kernel =
    options.layers === false
      ? matmuls
      : { ...matmuls, layers: wasmLayerOps(mem, helpers, jsLayerOps(matmuls)) };
  if (helpers.length > 0)
    threadsOf.register(
      kernel,
      helpers.map((h) => h.worker),
    );
  return kernel;
}
