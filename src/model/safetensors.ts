// safetensors: an 8-byte header length, a JSON header of {name: {dtype, shape, data_offsets}},
// then raw little-endian data. We write F32 and read F32, F16 and BF16 (widened to float32).
import { f16ToF32 } from "./gguf.ts";

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(
  tensors: Map<string, { shape: number[]; data: ArrayLike<number> }>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  let offset = 0;
  const blobs: Buffer[] = [];
  for (const [name, t] of tensors) {
    const f = Float32Array.from(t.data);
    const bytes = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    blobs.push(bytes);
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json, "utf8"), ...blobs]);
}

export function decodeSafetensors(buf: Buffer, origin = "safetensors"): Map<string, NamedTensor> {
  if (buf.length < 8) throw new Error(`${origin}: too short to be safetensors`);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw new Error(`${origin}: header length ${n} exceeds the file`);
  const header = JSON.parse(buf.toString("utf8", 8, 8 + n)) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + n;
  const out = new Map<string, NamedTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [start, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    const bytes = buf.subarray(base + start, base + end);
    const data = new Float32Array(count);
    if (info.dtype === "F32") {
      if (bytes.length !== count * 4)
        throw new Error(`${origin}: ${name} has ${bytes.length} bytes, expected ${count * 4}`);
      for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(i * 4);
    } else if (info.dtype === "F16") {
      for (let i = 0; i < count; i++) data[i] = f16ToF32(bytes.readUInt16LE(i * 2));
    } else if (info.dtype === "BF16") {
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      for (let i = 0; i < count; i++) {
        u[0] = bytes.readUInt16LE(i * 2) << 16;
        data[i] = f[0];
      }
    } else throw new Error(`${origin}: tensor ${name} has dtype ${info.dtype}; supported: F32, F16, BF16`);
    out.set(name, { shape: info.shape, data });
  }
  return out;
}
