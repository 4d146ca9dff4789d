// TensorBoard event files, written by hand: a TFRecord stream (length, masked CRC32C of the
// length, data, masked CRC32C of the data) of Event protocol buffers. The first event names the
// file version; each later one holds a Summary of scalar values (tag, simple_value) for a step.
// Enough for TensorBoard, tbparse and every other reader of scalars; no dependency.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masking: rotate right by 15 and add a constant, so CRCs of CRCs stay strong. */
export function maskedCrc(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

// Protocol buffer wire format: just the field kinds an Event needs.
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
function bytesField(field: number, data: Uint8Array | number[]): number[] {
  return [...key(field, 2), ...varint(data.length), ...data];
}
function doubleField(field: number, x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...key(field, 1), ...b];
}
function floatField(field: number, x: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return [...key(field, 5), ...b];
}
const int64Field = (field: number, x: number) => [...key(field, 0), ...varint(x)];

/** Event { wall_time = 1 (double); step = 2 (int64); file_version = 3 | summary = 5 }. */
export function eventBytes(
  wallTime: number,
  step: number,
  body: { fileVersion: string } | { scalars: [string, number][] },
): Uint8Array {
  const out = [...doubleField(1, wallTime), ...int64Field(2, step)];
  if ("fileVersion" in body) out.push(...bytesField(3, Buffer.from(body.fileVersion)));
  else {
    // Summary { repeated Value value = 1 }; Value { tag = 1 (string); simple_value = 2 (float) }
    const summary = body.scalars.flatMap(([tag, x]) =>
      bytesField(1, [...bytesField(1, Buffer.from(tag)), ...floatField(2, x)]),
    );
    out.push(...bytesField(5, summary));
  }
  return Uint8Array.from(out);
}

export function recordBytes(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const crcLen = Buffer.alloc(4);
  crcLen.writeUInt32LE(maskedCrc(len));
  const crcData = Buffer.alloc(4);
  crcData.writeUInt32LE(maskedCrc(data));
  return Buffer.concat([len, crcLen, Buffer.from(data), crcData]);
}

/** Appends scalars to RUN/tb/events.out.tfevents.<time>.<host>; a resumed run opens a new file. */
export class TensorBoardWriter {
  private fd: number;
  readonly path: string;

  constructor(dir: string, now = Date.now()) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `events.out.tfevents.${Math.floor(now / 1000)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.path, "a");
    writeSync(this.fd, recordBytes(eventBytes(now / 1000, 0, { fileVersion: "brain.Event:2" })));
  }

  /** One event per step with every finite metric (nulls are left out, never written as 0). */
  scalars(step: number, metrics: Record<string, number | null | undefined>, now = Date.now()): void {
    const scalars = Object.entries(metrics).filter(
      (e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]) && e[0] !== "step",
    );
    if (scalars.length === 0) return;
    writeSync(this.fd, recordBytes(eventBytes(now / 1000, step, { scalars })));
  }

  close(): void {
    closeSync(this.fd);
  }
}
