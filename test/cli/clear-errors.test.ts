// Failures that used to end in a raw stack trace now end in one line naming the path or flag.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runWz } from "../helpers/cli.ts";

const noStack = (s: string) => assert.ok(!/\n\s+at /.test(s), `a stack trace was printed:\n${s}`);

test("wz show / runs / report / --resume on a damaged run database: one line naming the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-err-"));
  const run = join(dir, "runs", "r1");
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, "run.sqlite"), "this is not a database, it is text".repeat(50));
  for (const args of [
    ["show", run],
    ["report", run],
    ["train", "--resume", run],
    ["runs", join(dir, "runs")],
  ]) {
    const r = await runWz(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^wz: cannot open run database .*run\.sqlite: .*not an intact SQLite database/m,
      args.join(" "),
    );
    noStack(r.stderr);
  }
});

test("wz judge --output into a folder that does not exist fails before judging anything", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-err-"));
  writeFileSync(
    join(dir, "p.jsonl"),
    JSON.stringify({ prompt: "Write.", response_a: "A.", response_b: "B." }),
  );
  const r = await runWz([
    "judge",
    "--judge",
    "rules",
    "--input",
    join(dir, "p.jsonl"),
    "--output",
    join(dir, "no", "v.jsonl"),
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--output: cannot write .*v\.jsonl/);
  assert.ok(!r.stderr.includes("judging 1 pairs"), "nothing was judged");
  noStack(r.stderr);
});

test("a corrupt judge cache is named, with what to do", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-err-"));
  writeFileSync(
    join(dir, "p.jsonl"),
    JSON.stringify({ prompt: "Write.", response_a: "A.", response_b: "B." }),
  );
  writeFileSync(join(dir, "cache.sqlite"), "garbage".repeat(200));
  const r = await runWz([
    "judge",
    "--base-url",
    "http://127.0.0.1:9/v1",
    "--model",
    "m",
    "--input",
    join(dir, "p.jsonl"),
    "--cache",
    join(dir, "cache.sqlite"),
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /judge reply cache .*cache\.sqlite cannot be opened: .*--no-cache/);
  noStack(r.stderr);
});

test("wz serve on a busy port, or a port out of range: one line", async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await runWz(["serve", "--judge", "rules", "--port", String(port)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
    noStack(r.stderr);
  } finally {
    busy.close();
  }
  const big = await runWz(["serve", "--judge", "rules", "--port", "99999"]);
  assert.equal(big.code, 2);
  assert.match(big.stderr, /--port: expected an integer >= 0 and <= 65535, got "99999"/);
});

test("wz train --layers with an unknown arithmetic names the choices, before any work", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-err-"));
  const r = await runWz([
    "train",
    "examples/tiny/config.yaml",
    "--output",
    join(dir, "run"),
    "--layers",
    "quick",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--layers must be one of exact, fast, got "quick"/);
  noStack(r.stderr);
});
