// wz train never deletes a folder unless its own run database says it is an unfinished run of ours.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { runFolderState } from "../../src/store/run-folder.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz } from "../helpers/cli.ts";

/** The tables of a SQLite file, read without writing to it. */
function tablesOf(path: string): string[] {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  db.close();
  return rows.map((t) => t.name);
}

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
  assert.deepEqual(tablesOf(join(dir, "run.sqlite")), ["results"]);
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

test("restarting an unfinished run with no completed step removes only that run's files", async () => {
  // The folder is a user's project folder that once held a wz run which crashed before step 1.
  const dir = mkdtempSync(join(tmpdir(), "wz-project-"));
  const store = new RunStore(join(dir, "run.sqlite"));
  store.setMeta("config", { seed: 1 });
  store.setMeta("status", "running");
  store.close();
  mkdirSync(join(dir, "checkpoints", "initial"), { recursive: true });
  writeFileSync(join(dir, "checkpoints", "initial", "model.safetensors"), "ours");
  writeFileSync(join(dir, "checkpoints", "initial.gguf"), "ours");
  writeFileSync(join(dir, "checkpoints", "my-notes.md"), "the user's");
  mkdirSync(join(dir, "tb"));
  writeFileSync(join(dir, "tb", "events.out.tfevents.1.host.2"), "ours");
  writeFileSync(join(dir, "config.resolved.json"), "{}");
  writeFileSync(join(dir, "notes.txt"), "mine");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "main.py"), "print(1)");
  // A prompt file that does not exist: the new run stops right after clearing the old one.
  writeFileSync(join(dir, "cfg.yaml"), "train: {steps: 1}\ndata: {prompts: nowhere.jsonl}\n");
  const r = await runWz(["train", join(dir, "cfg.yaml"), "--output", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /removed the \d+ file\(s\) of an unfinished run/);
  for (const f of ["notes.txt", "src/main.py", "cfg.yaml", "checkpoints/my-notes.md"])
    assert.ok(existsSync(join(dir, f)), `${f} was removed`);
  for (const f of [
    "run.sqlite",
    "checkpoints/initial",
    "checkpoints/initial.gguf",
    "tb",
    "config.resolved.json",
  ])
    assert.ok(!existsSync(join(dir, f)), `${f} was left`);
});

test("--resume on a foreign SQLite file is refused and adds no table to it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-foreign-"));
  const db = new Database(join(dir, "run.sqlite"));
  db.exec("CREATE TABLE results (x INTEGER);");
  db.close();
  const r = await runWz(["train", "--resume", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /is not the database of a wz run/);
  assert.deepEqual(tablesOf(join(dir, "run.sqlite")), ["results"]);
});

test("wz runs lists the intact runs when one folder's database is damaged", async () => {
  const root = mkdtempSync(join(tmpdir(), "wz-runs-"));
  for (const name of ["a-good", "c-good"]) {
    mkdirSync(join(root, name));
    const store = new RunStore(join(root, name, "run.sqlite"));
    store.setMeta("config", { estimator: { name: "brpo" }, judge: { kind: "rules" }, train: { steps: 4 } });
    store.setMeta("status", "completed");
    store.close();
  }
  mkdirSync(join(root, "b-damaged"));
  writeFileSync(join(root, "b-damaged", "run.sqlite"), "not a database ".repeat(100));
  const r = await runWz(["runs", root]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cannot open run database .*b-damaged/);
  assert.match(r.stdout, /a-good\s+completed\s+0\/4\s+brpo\s+rules/);
  assert.match(r.stdout, /b-damaged\s+damaged/);
  assert.match(r.stdout, /c-good\s+completed\s+0\/4\s+brpo\s+rules/);
});
