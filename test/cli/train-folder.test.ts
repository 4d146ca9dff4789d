// wz train never deletes a folder unless its own run database says it is an unfinished run of ours.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { runFolderState } from "../../src/cli/train-command.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz } from "../helpers/cli.ts";

test("a folder with someone else's run.sqlite is refused, and every file in it survives", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-notrun-"));
  const db = new Database(join(dir, "run.sqlite"));
  db.exec("CREATE TABLE results (x INTEGER); INSERT INTO results VALUES (42);");
  db.close();
  writeFileSync(join(dir, "notes.txt"), "mine");
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "keep.csv"), "1,2");
  writeFileSync(join(dir, "cfg.yaml"), "train: {steps: 1}\n");
  const r = await runWz(["train", join(dir, "cfg.yaml"), "--output", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /is not an unfinished run of wz train/);
  for (const f of ["notes.txt", "data/keep.csv", "run.sqlite"]) assert.ok(existsSync(join(dir, f)), f);
  // the foreign database was opened read-only: no tables of ours were added to it
  const after = new Database(join(dir, "run.sqlite"), { readonly: true });
  const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[];
  after.close();
  assert.deepEqual(
    tables.map((t) => t.name),
    ["results"],
  );
});

test("our own unfinished run is recognised as such; an empty run database is not ours", () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-run-"));
  const store = new RunStore(join(dir, "run.sqlite"));
  store.setMeta("config", { seed: 1 });
  store.setMeta("status", "running");
  store.close();
  assert.deepEqual(runFolderState(dir), { ours: true, status: "running", lastStep: -1 });
  const other = mkdtempSync(join(tmpdir(), "wz-run-"));
  new RunStore(join(other, "run.sqlite")).close();
  assert.equal(runFolderState(other)?.ours, false);
  assert.equal(runFolderState(mkdtempSync(join(tmpdir(), "wz-none-"))), null);
});
