// Named scratch buffers that grow to the largest size asked for and are then reused, so that a
// forward and backward pass allocates nothing once it has seen its longest sequence. A buffer's
// contents are whatever its last user left: callers that accumulate ask for zeroed().
import type { FloatArray } from "./kernels/types.ts";
import { allocate, type DType } from "./params.ts";

interface Slot {
  buf: FloatArray;
  view: FloatArray;
}

export class Workspace {
  private readonly slots = new Map<string, Slot>();
  /** Buffers created so far (a test reads it: steady state creates none). */
  allocations = 0;

  /**
   * `fromKernel` gives float32 buffers in the compute backend's own memory when it has any (the
   * wasm kernel: then it works on them in place); otherwise, or when it says no, ordinary arrays.
   */
  constructor(
    private readonly dtype: DType,
    private readonly fromKernel?: (n: number) => Float32Array | null,
  ) {}

  /** A view of n elements of buffer `name`, contents undefined. */
  get(name: string, n: number): FloatArray {
    let slot = this.slots.get(name);
    if (slot && slot.view.length === n) return slot.view;
    if (!slot || slot.buf.length < n) {
      // A quarter of headroom, so sequences that grow a little at a time do not reallocate each time.
      const size = slot ? Math.max(n, Math.ceil(slot.buf.length * 1.25)) : n;
      const buf = (this.dtype === "f32" ? this.fromKernel?.(size) : null) ?? allocate(this.dtype, size);
      this.allocations++;
      slot = { buf, view: buf };
      this.slots.set(name, slot);
    }
    slot.view = slot.buf.length === n ? slot.buf : slot.buf.subarray(0, n);
    return slot.view;
  }

  /** Like get(), filled with zeros. */
  zeroed(name: string, n: number): FloatArray {
    return this.get(name, n).fill(0);
  }

  /** Bytes held. */
  get bytes(): number {
    let total = 0;
    for (const s of this.slots.values()) total += s.buf.byteLength;
    return total;
  }
}
