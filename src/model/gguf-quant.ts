// ggml's tensor encodings, both ways: F32, F16, BF16 and the block formats Q8_0, Q4_0 and Q4_1
// (32 values per block, one f16 scale, Q4_1 also an f16 minimum). Written from ggml's reference
// rows (ggml-quants.c, quantize_row_*_ref / dequantize_row_*): the same rounding, so a file we
// quantise is the file llama.cpp's own quantiser would write.

export const GGML_F32 = 0;
export const GGML_F16 = 1;
export const GGML_Q4_0 = 2;
export const GGML_Q4_1 = 3;
export const GGML_Q8_0 = 8;
export const GGML_BF16 = 30;

export type GgmlType =
  | typeof GGML_F32
  | typeof GGML_F16
  | typeof GGML_Q4_0
  | typeof GGML_Q4_1
  | typeof GGML_Q8_0
  | typeof GGML_BF16;

const NAMES: Record<number, string> = { 0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 8: "Q8_0", 30: "BF16" };
const BLOCK = 32;
/** Bytes per block of 32 values for the block formats. */
const BLOCK_BYTES: Record<number, number> = { 2: 18, 3: 20, 8: 34 };

export function ggmlTypeName(type: number): string {
  return NAMES[type] ?? `type ${type}`;
}

/** Bytes that `count` values take in `type`. */
export function ggmlBytes(type: number, count: number): number {
  if (type === GGML_F32) return count * 4;
  if (type === GGML_F16 || type === GGML_BF16) return count * 2;
  const per = BLOCK_BYTES[type];
  if (per === undefined)
    throw new Error(
      `tensor type ${ggmlTypeName(type)} is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_1 are)`,
    );
  if (count % BLOCK !== 0)
    throw new Error(`${ggmlTypeName(type)} needs a multiple of ${BLOCK} values, got ${count}`);
  return (count / BLOCK) * per;
}

export function dequantize(type: number, bytes: Uint8Array, count: number): Float32Array {
  const need = ggmlBytes(type, count);
  if (bytes.length < need)
    throw new Error(`${ggmlTypeName(type)}: ${count} values need ${need} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, need);
  const out = new Float32Array(count);
  if (type === GGML_F32) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (type === GGML_F16) {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
  } else if (type === GGML_BF16) {
    const word = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < count; i++) {
      word.setUint32(0, view.getUint16(i * 2, true) << 16, true);
      out[i] = word.getFloat32(0, true);
    }
  } else if (type === GGML_Q8_0) {
    for (let b = 0; b < count / BLOCK; b++) {
      const p = b * 34;
      const d = f16ToF32(view.getUint16(p, true));
      for (let j = 0; j < BLOCK; j++) out[b * BLOCK + j] = view.getInt8(p + 2 + j) * d;
    }
  } else {
    // Q4_0: x = (q - 8) d. Q4_1: x = q d + m. Byte j holds value j (low nibble) and j + 16 (high).
    const q41 = type === GGML_Q4_1;
    const per = q41 ? 20 : 18;
    for (let b = 0; b < count / BLOCK; b++) {
      const p = b * per;
      const d = f16ToF32(view.getUint16(p, true));
      const m = q41 ? f16ToF32(view.getUint16(p + 2, true)) : 0;
      const qs = p + (q41 ? 4 : 2);
      for (let j = 0; j < 16; j++) {
        const byte = view.getUint8(qs + j);
        const lo = byte & 0x0f;
        const hi = byte >> 4;
        out[b * BLOCK + j] = q41 ? lo * d + m : (lo - 8) * d;
        out[b * BLOCK + j + 16] = q41 ? hi * d + m : (hi - 8) * d;
      }
    }
  }
  return out;
}

/** Encodes `data` (row-major, rows of a multiple of 32 for the block formats) in `type`. */
export function quantize(type: number, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  const out = Buffer.alloc(ggmlBytes(type, n));
  if (type === GGML_F32) {
    for (let i = 0; i < n; i++) out.writeFloatLE(data[i], i * 4);
  } else if (type === GGML_F16) {
    for (let i = 0; i < n; i++) out.writeUInt16LE(f16Bits(data[i]), i * 2);
  } else if (type === GGML_BF16) {
    // Round to nearest even on the dropped 16 bits, as ggml's fp32_to_bf16 does (NaN kept quiet).
    const word = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < n; i++) {
      word.setFloat32(0, data[i], true);
      const u = word.getUint32(0, true);
      const bits = Number.isNaN(data[i]) ? (u >>> 16) | 64 : (u + (0x7fff + ((u >>> 16) & 1))) >>> 16;
      out.writeUInt16LE(bits & 0xffff, i * 2);
    }
  } else if (type === GGML_Q8_0) {
    for (let b = 0; b < n / BLOCK; b++) {
      let amax = 0;
      for (let j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(data[b * BLOCK + j]));
      const d = amax / 127;
      const id = d ? 1 / d : 0;
      out.writeUInt16LE(f16Bits(d), b * 34);
      for (let j = 0; j < BLOCK; j++) out.writeInt8(Math.round(data[b * BLOCK + j] * id), b * 34 + 2 + j);
    }
  } else if (type === GGML_Q4_0) {
    for (let b = 0; b < n / BLOCK; b++) {
      // The value of largest magnitude, sign kept, maps to -8.
      let amax = 0;
      let max = 0;
      for (let j = 0; j < BLOCK; j++) {
        const v = data[b * BLOCK + j];
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          max = v;
        }
      }
      const d = max / -8;
      const id = d ? 1 / d : 0;
      out.writeUInt16LE(f16Bits(d), b * 18);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc(data[b * BLOCK + j] * id + 8.5));
        const hi = Math.min(15, Math.trunc(data[b * BLOCK + j + 16] * id + 8.5));
        out.writeUInt8(lo | (hi << 4), b * 18 + 2 + j);
      }
    }
  } else if (type === GGML_Q4_1) {
    for (let b = 0; b < n / BLOCK; b++) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < BLOCK; j++) {
        min = Math.min(min, data[b * BLOCK + j]);
        max = Math.max(max, data[b * BLOCK + j]);
      }
      const d = (max - min) / 15;
      const id = d ? 1 / d : 0;
      out.writeUInt16LE(f16Bits(d), b * 20);
      out.writeUInt16LE(f16Bits(min), b * 20 + 2);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc((data[b * BLOCK + j] - min) * id + 0.5));
        const hi = Math.min(15, Math.trunc((data[b * BLOCK + j + 16] - min) * id + 0.5));
        out.writeUInt8(lo | (hi << 4), b * 20 + 4 + j);
      }
    }
  }
  return out;
}

export function f16Bits(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return half;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
