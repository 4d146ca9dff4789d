// Protocol Buffers' wire format, the part the Tinker API's messages use: varints, 64-bit doubles,
// 32-bit floats and length-delimited fields (bytes, strings, nested messages, packed numbers).
// A reader that walks a message field by field and a writer that appends fields; the message
// shapes themselves live in messages.ts. Pure.

import { UserError } from "./errors.ts";

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export interface Field {
  number: number;
  wire: number;
  /** varint fields: the value as a bigint (int64 needs all 64 bits). */
  varint?: bigint;
  /** fixed64 / fixed32 / length-delimited fields: the raw bytes. */
  bytes?: Uint8Array;
}

export class WireError extends UserError {}

/** Every field of one message, in the order they were written (a repeated field appears many times). */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    const [v, next] = readVarint(buf, at, "message");
    at = next;
    return v;
  };
  const take = (n: number): Uint8Array => {
    if (at + n > buf.length) throw new WireError(`message ends inside a field (needs ${n} bytes)`);
    const out = buf.subarray(at, at + n);
    at += n;
    return out;
  };
  while (at < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (number === 0) throw new WireError("field number 0");
    if (wire === WIRE.varint) fields.push({ number, wire, varint: varint() });
    else if (wire === WIRE.fixed64) fields.push({ number, wire, bytes: take(8) });
    else if (wire === WIRE.fixed32) fields.push({ number, wire, bytes: take(4) });
    else if (wire === WIRE.bytes) fields.push({ number, wire, bytes: take(Number(varint())) });
    else throw new WireError(`unsupported wire type ${wire} (field ${number})`);
  }
  return fields;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export const fieldAs = {
  /** int32 / int64 / enum / bool fields: two's complement of the varint's low 64 bits. */
  int(f: Field): number {
    if (f.varint === undefined) throw new WireError(`field ${f.number} is not a varint`);
    return Number(BigInt.asIntN(64, f.varint));
  },
  bool(f: Field): boolean {
    return fieldAs.int(f) !== 0;
  },
  double(f: Field): number {
    if (f.wire !== WIRE.fixed64 || !f.bytes) throw new WireError(`field ${f.number} is not a double`);
    return view(f.bytes).getFloat64(0, true);
  },
  float(f: Field): number {
    if (f.wire !== WIRE.fixed32 || !f.bytes) throw new WireError(`field ${f.number} is not a float`);
    return view(f.bytes).getFloat32(0, true);
  },
  bytes(f: Field): Uint8Array {
    if (f.wire !== WIRE.bytes || !f.bytes) throw new WireError(`field ${f.number} is not length-delimited`);
    return f.bytes;
  },
  string(f: Field): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(fieldAs.bytes(f));
  },
  /** A repeated int64 field: packed (one length-delimited run of varints) or one varint per field. */
  ints(fs: Field[]): number[] {
    const out: number[] = [];
    for (const f of fs) {
      if (f.wire === WIRE.varint) out.push(fieldAs.int(f));
      else for (const g of readPackedVarints(fieldAs.bytes(f))) out.push(Number(BigInt.asIntN(64, g)));
    }
    return out;
  },
};

function readPackedVarints(b: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let at = 0;
  while (at < b.length) {
    const [v, next] = readVarint(b, at, "packed field");
    out.push(v);
    at = next;
  }
  return out;
}

/** The varint at `at` of `buf` (`what` names the container in errors) and the offset after it. */
function readVarint(buf: Uint8Array, at: number, what: string): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (at >= buf.length) throw new WireError(`${what} ends inside a varint`);
    const b = buf[at++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, at];
    shift += 7n;
    if (shift > 63n) throw new WireError("varint longer than 10 bytes");
  }
}

/** Fields of one message grouped by number. */
export function byNumber(fields: Field[]): Map<number, Field[]> {
  const m = new Map<number, Field[]>();
  for (const f of fields) {
    const list = m.get(f.number);
    if (list) list.push(f);
    else m.set(f.number, [f]);
  }
  return m;
}

/** Appends fields; finish() gives the message's bytes. Zero/empty scalars are written as given. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = [];

  private key(number: number, wire: number): void {
    this.rawVarint(BigInt((number << 3) | wire));
  }

  private rawVarint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      out.push(b);
    } while (x > 0n);
    this.parts.push(Uint8Array.from(out));
  }

  int(number: number, v: number | bigint): this {
    this.key(number, WIRE.varint);
    this.rawVarint(BigInt(v));
    return this;
  }

  double(number: number, v: number): this {
    this.key(number, WIRE.fixed64);
    const b = new Uint8Array(8);
    view(b).setFloat64(0, v, true);
    this.parts.push(b);
    return this;
  }

  bytes(number: number, b: Uint8Array): this {
    this.key(number, WIRE.bytes);
    this.rawVarint(BigInt(b.length));
    this.parts.push(b);
    return this;
  }

  string(number: number, s: string): this {
    return this.bytes(number, new TextEncoder().encode(s));
  }

  message(number: number, m: MessageWriter): this {
    return this.bytes(number, m.finish());
  }

  /** A packed repeated varint field (proto3's default for repeated numbers). */
  packedInts(number: number, vs: number[]): this {
    const inner = new MessageWriter();
    for (const v of vs) inner.rawVarint(BigInt(v));
    return this.bytes(number, inner.finish());
  }

  finish(): Uint8Array {
    const n = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
