// TensorBoard event files, read back by an independent Python decoder of the TFRecord framing
// (CRC-32C) and the Event / Summary fields (test/helpers/tb_decode.py).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { crc32c, TensorBoardWriter } from "../../src/store/tensorboard.ts";
import { projectPython } from "../helpers/python.ts";

const DECODER = new URL("../helpers/tb_decode.py", import.meta.url).pathname;

function decode(path: string): { status: number | null; events: Record<string, unknown>[]; stderr: string } {
  const r = spawnSync("python3", [DECODER, path], { encoding: "utf8" });
  return {
    status: r.status,
    events: r.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    stderr: r.stderr,
  };
}

test("CRC-32C matches the standard check value", () => {
  // "123456789" -> 0xE3069283 is the published check value of CRC-32C (Castagnoli).
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
});

test("scalars written per step are read back by an independent decoder", () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tb-"));
  const tb = new TensorBoardWriter(dir, 1_700_000_000_000);
  tb.scalars(
    1,
    { step: 1, win_rate_vs_reference: 0.25, kl_to_initial: 0.0125, reward_mean: null },
    1_700_000_001_000,
  );
  tb.scalars(2, { win_rate_vs_reference: 0.5, eval_score_mean: 7.5 }, 1_700_000_002_500);
  tb.close();
  const out = decode(tb.path);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.events.length, 3);
  assert.equal(out.events[0].file_version, "brain.Event:2");
  assert.equal(out.events[0].wall_time, 1_700_000_000);
  assert.equal(out.events[1].step, 1);
  // null is left out, never written as 0; "step" is the event's step, not a scalar
  assert.deepEqual(out.events[1].scalars, {
    win_rate_vs_reference: 0.25,
    kl_to_initial: Math.fround(0.0125),
  });
  assert.equal(out.events[2].step, 2);
  assert.equal(out.events[2].wall_time, 1_700_000_002.5);
  assert.deepEqual(out.events[2].scalars, { win_rate_vs_reference: 0.5, eval_score_mean: 7.5 });
});

test("the decoder rejects a corrupted record (so the check above can fail)", () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tb-"));
  const tb = new TensorBoardWriter(dir);
  tb.scalars(1, { x: 1 });
  tb.close();
  const bytes = readFileSync(tb.path);
  bytes[bytes.length - 6] ^= 0xff;
  writeFileSync(tb.path, bytes);
  const out = decode(tb.path);
  assert.equal(out.status, 1);
  assert.match(out.stderr, /bad data CRC/);
});

const tensorboard = projectPython(["tensorboard"]);
test("the real tensorboard package (EventAccumulator) reads the same scalars", {
  skip: tensorboard.skip,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tb-"));
  const tb = new TensorBoardWriter(dir, 1_700_000_000_000);
  tb.scalars(1, { win_rate_vs_reference: 0.25, reward_mean: null }, 1_700_000_001_000);
  tb.scalars(2, { win_rate_vs_reference: 0.5, eval_score_mean: 7.5 }, 1_700_000_002_500);
  tb.close();
  const r = spawnSync(tensorboard.bin, ["integrations/tests/tb_read.py", dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const scalars = JSON.parse(r.stdout) as Record<string, [number, number, number][]>;
  assert.deepEqual(scalars, {
    win_rate_vs_reference: [
      [1, 0.25, 1_700_000_001],
      [2, 0.5, 1_700_000_002.5],
    ],
    eval_score_mean: [[2, 7.5, 1_700_000_002.5]],
  });
});
