// Records the hash of the sources a wasm kernel was built from inside the wasm itself, as a custom
// section named "wz.sources.sha256" (the module's code is untouched; engines ignore custom
// sections). build.sh runs it after each build; test/model/wasm-layers.test.ts reads the section
// and hashes the sources again. Usage: node stamp.mjs HASH FILE.wasm...
import { readFileSync, writeFileSync } from "node:fs";

const NAME = "wz.sources.sha256";

function leb128(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value |= (b & 0x7f) << shift;
    if (!(b & 0x80)) return [value >>> 0, at];
    shift += 7;
  }
}

/** The module without any earlier stamp, so stamping twice leaves one. */
function withoutStamp(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at];
    const [size, body] = readLeb(bytes, at + 1);
    at = body + size;
    if (id === 0) {
      const [nameLength, nameAt] = readLeb(bytes, body);
      if (Buffer.from(bytes.subarray(nameAt, nameAt + nameLength)).toString() === NAME) continue;
    }
    parts.push(bytes.subarray(start, at));
  }
  return Buffer.concat(parts);
}

const [hash, ...files] = process.argv.slice(2);
if (!/^[0-9a-f]{64}$/.test(hash ?? "") || files.length === 0) {
  console.error("usage: node stamp.mjs SHA256 FILE.wasm...");
  process.exit(2);
}
for (const file of files) {
  const name = Buffer.from(NAME);
  const payload = Buffer.concat([Buffer.from(leb128(name.length)), name, Buffer.from(hash)]);
  const section = Buffer.concat([Buffer.from([0, ...leb128(payload.length)]), payload]);
  writeFileSync(file, Buffer.concat([withoutStamp(readFileSync(file)), section]));
}
