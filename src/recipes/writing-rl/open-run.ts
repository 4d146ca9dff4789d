// Where a wz train run lives: a new run folder (never over another run: the config's default
// output gets the next free name, an explicit one is refused), or a run to resume from its store.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../data/config-file.ts";
import { clearUnfinishedRun, runFolderState } from "../../store/run-folder.ts";
import { RunStore } from "../../store/run-store.ts";
import { parseTrainConfig, type TrainConfig } from "./config.ts";

export interface OpenedRun {
  config: TrainConfig;
  runDir: string;
  /** The resumed run's store; a new run's is created once its inputs are checked. */
  store?: RunStore;
  /** 0 for a new run; else the first step a resumed run has still to do. */
  startStep: number;
  resumed: boolean;
}

export function resumeRun(runDir: string): OpenedRun {
  const db = join(runDir, "run.sqlite");
  if (!existsSync(db)) throw new ConfigError(`--resume: ${db} does not exist`);
  // Read-only first: a SQLite file that is not a wz run's gets no tables of ours.
  const probe = new RunStore(db, { readonly: true });
  const ours = probe.isRun();
  probe.close();
  if (!ours)
    throw new ConfigError(`--resume: ${db} is not the database of a wz run (it holds no run config)`);
  const store = new RunStore(db);
  const config = store.getMeta<TrainConfig>("config")!;
  return { config, runDir, store, startStep: store.lastCompletedStep() + 1, resumed: true };
}

export function newRun(
  path: string,
  overrides: { output?: string; steps?: number },
  log: (line: string) => void,
): OpenedRun {
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
  let config: TrainConfig;
  try {
    config = parseTrainConfig(readFileSync(path, "utf8"), path);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (overrides.output) config.output = overrides.output;
  if (overrides.steps !== undefined) config.train.steps = overrides.steps;
  const runDir = freeRunDir(config, overrides.output !== undefined, log);
  config.output = runDir;
  clearIfUnfinished(runDir, log);
  return { config, runDir, startStep: 0, resumed: false };
}

function freeRunDir(config: TrainConfig, explicit: boolean, log: (line: string) => void): string {
  const stepsIn = (dir: string) => runFolderState(dir)?.lastStep ?? -1;
  const existing = stepsIn(config.output);
  if (existing < 0) return config.output;
  // An explicit --output is never overwritten; the config's default gets the next free name.
  if (explicit)
    throw new ConfigError(
      `${config.output} already holds a run (${existing + 1} steps); use --resume ${config.output} or another --output`,
    );
  let k = 2;
  while (stepsIn(`${config.output}-${k}`) >= 0) k++;
  const runDir = `${config.output}-${k}`;
  log(
    `${config.output} already holds a run; this one goes to ${runDir} (continue the old one with --resume ${config.output})`,
  );
  return runDir;
}

function clearIfUnfinished(runDir: string, log: (line: string) => void): void {
  if (!existsSync(runDir) || readdirSync(runDir).length === 0) return;
  // Only a folder whose own run database says it is an unfinished run of ours, with no completed
  // step, is cleared; never an arbitrary folder, whatever files it holds.
  const state = runFolderState(runDir);
  if (!state?.ours || state.lastStep >= 0 || !["running", "stopped"].includes(state.status ?? ""))
    throw new ConfigError(
      `${runDir} exists and is not an unfinished run of wz train; choose another --output`,
    );
  // Only the files that run wrote: a user's own files in the folder stay where they are.
  const removed = clearUnfinishedRun(runDir);
  log(`${runDir}: removed the ${removed.length} file(s) of an unfinished run with no completed step`);
}
