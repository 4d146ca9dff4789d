// A second thread for the wasm kernel (src/model/kernels/wasm.ts): its own instance of the same
// module on the same shared memory, with its own stack and scratch there, computing the rows of a
// product that the main thread hands it. Plain JavaScript, so that it needs no TypeScript loader.
//
// The control block (a SharedArrayBuffer): as 32-bit integers, [0] the job counter the main thread
// bumps, [1] the last job done (-1: failed), [2..13] the job's wz_gemm arguments, [15] the length
// of a failure's message, whose UTF-8 bytes follow from byte 64.
import { parentPort, workerData } from "node:worker_threads";

const { module, memory, control, stackTop, panel, apack } = workerData;
const { exports } = await WebAssembly.instantiate(module, { env: { memory, log: Math.log } });
exports.__stack_pointer.value = stackTop;
const ctrl = new Int32Array(control, 0, 16);
const message = new Uint8Array(control, 64);
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
    const a = ctrl;
    exports.wz_gemm(a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], panel, apack);
    Atomics.store(ctrl, 1, seen);
  } catch (error) {
    const text = new TextEncoder().encode(String(error)).subarray(0, message.length);
    message.set(text);
    ctrl[15] = text.length;
    Atomics.store(ctrl, 1, -1);
  }
  Atomics.notify(ctrl, 1);
}
