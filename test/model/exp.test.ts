// Our exp (src/model/exp.ts, twin of wz_exp in native/blas/layers.c) against V8's Math.exp: within
// one ulp of double everywhere the layers use it, and the edges behave.
import assert from "node:assert/strict";
import { test } from "node:test";
import { wzExp } from "../../src/model/exp.ts";
import { mulberry32 } from "../../src/model/random.ts";

const bits = new BigInt64Array(1);
const view = new Float64Array(bits.buffer);
function ulps(a: number, b: number): number {
  view[0] = a;
  const x = bits[0];
  view[0] = b;
  const y = bits[0];
  return Number(x > y ? x - y : y - x);
}

test("within one ulp of Math.exp from -708 to 709", () => {
  const r = mulberry32(1);
  let worst = 0;
  for (let i = 0; i < 200_000; i++) {
    const x = -708 + 1417 * r();
    worst = Math.max(worst, ulps(wzExp(x), Math.exp(x)));
  }
  // the softmax range, densely
  for (let i = 0; i < 100_000; i++) {
    const x = -40 * r();
    worst = Math.max(worst, ulps(wzExp(x), Math.exp(x)));
  }
  assert.ok(worst <= 1, `worst ${worst} ulps`);
});

test("exact where it must be, and the edges", () => {
  assert.equal(wzExp(0), 1);
  assert.ok(ulps(wzExp(1), Math.E) <= 1);
  assert.ok(ulps(wzExp(-1), 1 / Math.E) <= 1);
  assert.equal(wzExp(-709), 0);
  assert.equal(wzExp(-1e9), 0);
  assert.equal(wzExp(710), Number.POSITIVE_INFINITY);
  assert.equal(wzExp(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(wzExp(Number.NaN)));
  assert.ok(wzExp(709) > 8e307 && Number.isFinite(wzExp(709)));
});
