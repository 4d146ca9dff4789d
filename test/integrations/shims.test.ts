// Runs the Python shims' unittest suite (verl, TRL, the client) against a real `wz serve`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

test("integrations/tests (python3 unittest) pass", () => {
  const r = spawnSync("python3", ["-m", "unittest", "discover", "-v", "integrations/tests"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.error, undefined, `python3 not runnable: ${r.error?.message}`);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /Ran \d+ tests/);
});
