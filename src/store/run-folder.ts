// What a run folder holds, read without writing to it, and the removal of an unfinished run's own
// files. A run folder may be a user's project folder (`--output "$PWD"`): nothing here removes a
// path the run did not write itself, whatever else the folder holds.
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RunStore } from "./run-store.ts";

export interface RunFolderState {
  /** The database is a wz run's: it holds a config. */
  ours: boolean;
  status?: string;
  lastStep: number;
}

/** What a folder's run database says (an unknown SQLite file is opened read-only): null when none. */
export function runFolderState(dir: string): RunFolderState | null {
  const db = join(dir, "run.sqlite");
  if (!existsSync(db)) return null;
  try {
    const store = new RunStore(db, { readonly: true });
    try {
      const ours = store.isRun();
      return {
        ours,
        status: ours ? store.getMeta<string>("status") : undefined,
        lastStep: ours ? store.lastCompletedStep() : -1,
      };
    } finally {
      store.close();
    }
  } catch {
    return { ours: false, lastStep: -1 };
  }
}

/** Files `wz train` writes at the top of its folder before its first step completes. */
const RUN_FILES = [
  "run.sqlite",
  "run.sqlite-wal",
  "run.sqlite-shm",
  "run.sqlite-journal",
  "config.resolved.json",
  "policy.gguf",
  "policy-adapter.gguf",
];

/** What it writes in checkpoints/: the initial model and the per-step states (and their .tmp). */
const CHECKPOINT_ENTRY = /^(initial|initial\.gguf|state-\d{6}(\.tmp)?)$/;
/** What it writes in tb/. */
const TB_ENTRY = /^events\.out\.tfevents\./;

/**
 * Removes the files of an unfinished run that never completed a step, and nothing else: a user's
 * files beside them stay, and so do checkpoints/ and tb/ when they hold anything not ours.
 * Returns the paths removed.
 */
export function clearUnfinishedRun(dir: string): string[] {
  const removed: string[] = [];
  const remove = (path: string) => {
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  };
  for (const name of RUN_FILES) if (existsSync(join(dir, name))) remove(join(dir, name));
  for (const [sub, own] of [
    ["checkpoints", CHECKPOINT_ENTRY],
    ["tb", TB_ENTRY],
  ] as const) {
    const path = join(dir, sub);
    if (!existsSync(path)) continue;
    for (const name of readdirSync(path)) if (own.test(name)) remove(join(path, name));
    if (readdirSync(path).length === 0) rmdirSync(path);
  }
  return removed;
}
