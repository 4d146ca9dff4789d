// GGUF v3: write our models for llama.cpp, and read any file's metadata back to validate it
// before llama.cpp sees it (a missing key can abort the whole process there, not throw).
import { closeSync, openSync, readSync } from "node:fs";

import {
  GGML_BF16,
  GGML_F16,
  GGML_F32,
  GGML_Q4_0,
  GGML_Q4_1,
  GGML_Q8_0,
  type GgmlType,
  ggmlTypeName,
  quantize,
} from "./gguf-quant.ts";

export { f16ToF32 } from "./gguf-quant.ts";
export { GGML_BF16, GGML_F16, GGML_F32, GGML_Q4_0, GGML_Q4_1, GGML_Q8_0 };

const T_UINT8 = 0;
const T_INT32 = 5;
const T_UINT32 = 4;
const T_FLOAT32 = 6;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;
const T_UINT64 = 10;

export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "strings"; value: string[] }
  | { type: "i32s"; value: number[] };

export interface GgufTensor {
  name: string;
  /** PyTorch order ([out, in]); written reversed, as ggml wants. */
  shape: number[];
  data: Float32Array | Float64Array;
  type: GgmlType;
}

/** Growable little-endian byte writer. */
class Bytes {
  buf = Buffer.alloc(1 << 16);
  n = 0;
  private need(k: number) {
    if (this.n + k <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }
  u32(v: number) {
    this.need(4);
    this.buf.writeUInt32LE(v, this.n);
    this.n += 4;
  }
  i32(v: number) {
    this.need(4);
    this.buf.writeInt32LE(v, this.n);
    this.n += 4;
  }
  u64(v: number) {
    this.need(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.n);
    this.n += 8;
  }
  f32(v: number) {
    this.need(4);
    this.buf.writeFloatLE(v, this.n);
    this.n += 4;
  }
  u8(v: number) {
    this.need(1);
    this.buf[this.n++] = v;
  }
  str(s: string) {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.raw(b);
  }
  raw(b: Uint8Array) {
    this.need(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  pad(alignment: number) {
    while (this.n % alignment !== 0) this.u8(0);
  }
}

function encodeTensor(t: GgufTensor): Uint8Array {
  const inner = t.shape[t.shape.length - 1];
  if (t.type !== GGML_F32 && t.type !== GGML_F16 && t.type !== GGML_BF16 && inner % 32 !== 0)
    throw new Error(
      `${t.name}: ${ggmlTypeName(t.type)} needs the row length (${inner}) to be a multiple of 32`,
    );
  return quantize(t.type, t.data);
}

export function writeGguf(
  metadata: Record<string, GgufValue>,
  tensors: GgufTensor[],
  alignment = 32,
): Buffer {
  const w = new Bytes();
  w.u32(0x46554747); // "GGUF"
  w.u32(3);
  w.u64(tensors.length);
  w.u64(Object.keys(metadata).length);
  for (const [key, v] of Object.entries(metadata)) {
    w.str(key);
    switch (v.type) {
      case "u32":
        w.u32(T_UINT32);
        w.u32(v.value);
        break;
      case "i32":
        w.u32(T_INT32);
        w.i32(v.value);
        break;
      case "f32":
        w.u32(T_FLOAT32);
        w.f32(v.value);
        break;
      case "bool":
        w.u32(T_BOOL);
        w.u8(v.value ? 1 : 0);
        break;
      case "string":
        w.u32(T_STRING);
        w.str(v.value);
        break;
      case "strings":
        w.u32(T_ARRAY);
        w.u32(T_STRING);
        w.u64(v.value.length);
        for (const s of v.value) w.str(s);
        break;
      case "i32s":
        w.u32(T_ARRAY);
        w.u32(T_INT32);
        w.u64(v.value.length);
        for (const x of v.value) w.i32(x);
        break;
    }
  }
  const encoded = tensors.map(encodeTensor);
  let offset = 0;
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offset += encoded[i].length;
    offset = Math.ceil(offset / alignment) * alignment;
  });
  w.pad(alignment);
  encoded.forEach((bytes) => {
    w.raw(bytes);
    w.pad(alignment);
  });
  return w.buf.subarray(0, w.n);
}

// ---------- reading metadata (for validation) ----------

export interface GgufInfo {
  version: number;
  metadata: Map<string, unknown>;
  /** dims in ggml order (innermost first); offset from dataOffset, in bytes. */
  tensors: { name: string; dims: number[]; type: number; offset: number }[];
  /** Where tensor data starts in the file (the header's end, aligned). */
  dataOffset: number;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
  ) {}
  check(n: number) {
    if (this.pos + n > this.buf.length) throw new HeaderTooShort("file ends inside its header");
  }
  u32() {
    this.check(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64() {
    this.check(8);
    const v = Number(this.buf.readBigUInt64LE(this.pos));
    this.pos += 8;
    return v;
  }
  str() {
    const n = this.u64();
    if (n > 1 << 24) throw new Error("implausible string length in header");
    this.check(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  value(type: number): unknown {
    const sizes: Record<number, number> = {
      0: 1,
      1: 1,
      2: 2,
      3: 2,
      4: 4,
      5: 4,
      6: 4,
      7: 1,
      10: 8,
      11: 8,
      12: 8,
    };
    if (type === T_STRING) return this.str();
    if (type === T_ARRAY) {
      const inner = this.u32();
      const n = this.u64();
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(this.value(inner));
      return out;
    }
    const size = sizes[type];
    if (size === undefined) throw new Error(`unknown metadata value type ${type}`);
    this.check(size);
    const b = this.buf;
    const p = this.pos;
    this.pos += size;
    switch (type) {
      case T_UINT8:
        return b.readUInt8(p);
      case 1:
        return b.readInt8(p);
      case 2:
        return b.readUInt16LE(p);
      case 3:
        return b.readInt16LE(p);
      case T_UINT32:
        return b.readUInt32LE(p);
      case T_INT32:
        return b.readInt32LE(p);
      case T_FLOAT32:
        return b.readFloatLE(p);
      case T_BOOL:
        return b.readUInt8(p) !== 0;
      case T_UINT64:
      case 11:
        return Number(b.readBigUInt64LE(p));
      default:
        return b.readDoubleLE(p);
    }
  }
}

/**
 * Reads the header of a GGUF file (metadata and tensor infos). It reads 1 MiB first and doubles
 * only when the header is longer (a large vocabulary), so a weight sync does not pay for a
 * buffer sized for the largest header there could be.
 */
export function readGgufHeader(path: string): GgufInfo {
  const fd = openSync(path, "r");
  try {
    for (let size = 1 << 20; ; size *= 2) {
      const buf = Buffer.alloc(size);
      const n = readSync(fd, buf, 0, size, 0);
      try {
        return parseHeader(buf.subarray(0, n), path);
      } catch (e) {
        if (!(e instanceof HeaderTooShort) || n < size) throw e;
      }
    }
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message.replace(`${path}: `, "")}`);
  } finally {
    closeSync(fd);
  }
}

class HeaderTooShort extends Error {}

function parseHeader(buf: Buffer, path: string): GgufInfo {
  const r = new Reader(buf);
  if (buf.length < 24 || r.u32() !== 0x46554747) throw new Error(`${path}: not a GGUF file (bad magic)`);
  const version = r.u32();
  if (version < 2 || version > 3) throw new Error(`${path}: unsupported GGUF version ${version}`);
  const tensorCount = r.u64();
  const kvCount = r.u64();
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.str();
    metadata.set(key, r.value(r.u32()));
  }
  const tensors: GgufInfo["tensors"] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = r.str();
    const nd = r.u32();
    const dims = Array.from({ length: nd }, () => r.u64());
    const type = r.u32();
    const offset = r.u64();
    tensors.push({ name, dims, type, offset });
  }
  const alignment = Number(metadata.get("general.alignment") ?? 32);
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  return { version, metadata, tensors, dataOffset };
}

/**
 * Checks the keys whose absence makes llama.cpp fail or abort (see docs/formats.md). Returns the
 * problems found; an empty list means the file is safe to hand to llama.cpp.
 */
export function validateGguf(info: GgufInfo): string[] {
  const m = info.metadata;
  const problems: string[] = [];
  const arch = m.get("general.architecture");
  if (typeof arch !== "string") return ["missing general.architecture"];
  const isAdapter = m.get("general.type") === "adapter";
  if (isAdapter) {
    if (m.get("adapter.type") !== "lora") problems.push('adapter.type must be "lora"');
    if (typeof m.get("adapter.lora.alpha") !== "number") problems.push("missing adapter.lora.alpha");
    return problems;
  }
  for (const k of [
    "context_length",
    "embedding_length",
    "block_count",
    "feed_forward_length",
    "attention.head_count",
    "attention.layer_norm_rms_epsilon",
  ]) {
    if (typeof m.get(`${arch}.${k}`) !== "number") problems.push(`missing ${arch}.${k}`);
  }
  const model = m.get("tokenizer.ggml.model");
  if (typeof model !== "string") problems.push("missing tokenizer.ggml.model");
  else if (model === "none")
    problems.push('tokenizer.ggml.model "none" aborts llama.cpp at the first tokenize');
  const tokens = m.get("tokenizer.ggml.tokens");
  if (!Array.isArray(tokens) || tokens.length === 0) problems.push("missing tokenizer.ggml.tokens");
  if (model === "gpt2" && !Array.isArray(m.get("tokenizer.ggml.merges")))
    problems.push("missing tokenizer.ggml.merges");
  const pre = m.get("tokenizer.ggml.pre");
  if (pre !== undefined && !["default", "gpt-2", "qwen2", "llama-bpe", "smollm"].includes(pre as string)) {
    problems.push(`tokenizer.ggml.pre "${pre}" is not one this project checks`);
  }
  const embd = info.tensors.find((t) => t.name === "token_embd.weight");
  if (!embd) problems.push("missing tensor token_embd.weight");
  else if (Array.isArray(tokens) && embd.dims[1] !== tokens.length) {
    problems.push(
      `token_embd.weight has ${embd.dims[1]} rows but the vocabulary has ${tokens.length} tokens`,
    );
  }
  for (const id of ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"]) {
    const v = m.get(id);
    if (v !== undefined && Array.isArray(tokens) && ((v as number) < 0 || (v as number) >= tokens.length)) {
      problems.push(`${id} ${v} is outside the vocabulary`);
    }
  }
  return problems;
}
