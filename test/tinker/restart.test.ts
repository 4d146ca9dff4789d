// A killed `wz tinker` resumes from its saved state: a client trains and saves, the server is
// killed (SIGKILL, nothing flushed at exit), a new server starts on the same state folder, and a
// client of it loads the tinker:// path with the optimizer: its next step equals the step the
// uninterrupted client took.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startWz } from "../helpers/cli.ts";
import { projectPython } from "../helpers/python.ts";
import { tinyModelFolder } from "../helpers/tinker.ts";

const python = projectPython(["tinker"]);

test("a killed wz tinker resumes from its saved state", { skip: python.skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tinker-restart-"));
  const folder = join(dir, "tiny");
  tinyModelFolder(folder);
  const args = ["tinker", "--model", `tiny=${folder}`, "--state", join(dir, "state")];
  const run = (url: string, ...rest: string[]) => {
    const r = spawnSync(
      python.bin,
      ["integrations/tests/tinker_restart.py", ...rest.slice(0, 1), url, "tiny", ...rest.slice(1)],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  };
  const first = await startWz(args);
  const before = run(first.url, "before");
  first.process.kill("SIGKILL");
  await new Promise((r) => first.process.once("exit", r));
  const second = await startWz(args);
  try {
    const after = run(second.url, "after", before.path);
    assert.match(before.path, /^tinker:\/\/session-\d+-\w+:train:0\/weights\/step-3$/);
    assert.deepEqual(after.logprobs, before.logprobs);
  } finally {
    second.stop();
  }
});
