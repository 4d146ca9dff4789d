// A second thread for the wasm kernel (src/model/kernels/wasm.ts): its own instance of the same
// module on the same shared memory, with its own stack there, computing the share of a product
// (rows) or of attention (heads) that the main thread hands it. Plain JavaScript, so that it needs
// no TypeScript loader.
//
// The control block (a SharedArrayBuffer): as 32-bit integers, [0] the job counter the main thread
// bumps, [1] the last job done (-1: failed), [2] the function (an index into `functions`), [3]
// its argument count, [4] the length of a failure's message; from byte 64 the arguments as
// float64 (pointers, sizes and RMSNorm's epsilon alike), 16 at most; from byte 192 the message's
// UTF-8 bytes.
import { parentPort, workerData } from "node:worker_threads";

const { module, memory, control, stackTop } = workerData;
const { exports } = await WebAssembly.instantiate(module, { env: { memory, log: Math.log } });
exports.__stack_pointer.value = stackTop;
const functions = [
  exports.wz_gemm,
  exports.wz_attention_forward_heads,
  exports.wz_attention_backward_heads,
  exports.wz_swiglu_forward,
  exports.wz_swiglu_backward,
  exports.wz_rmsnorm_forward,
];
const ctrl = new Int32Array(control, 0, 16);
const args = new Float64Array(control, 64, 16);
const message = new Uint8Array(control, 192);
parentPort.postMessage("ready");

// Jobs come in quick succession during a training step, and waking a sleeping thread costs tens
// of microseconds: after a job, look for the next one for a while before sleeping.
const SPIN_MS = 1;
let seen = 0;
for (;;) {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(ctrl, 0) === seen && performance.now() < until);
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  try {
    functions[ctrl[2]](...args.subarray(0, ctrl[3]));
    Atomics.store(ctrl, 1, seen);
  } catch (error) {
    const text = new TextEncoder().encode(String(error)).subarray(0, message.length);
    message.set(text);
    ctrl[4] = text.length;
    Atomics.store(ctrl, 1, -1);
  }
  Atomics.notify(ctrl, 1);
}
