// Training state on disk: the weights and AdamW moments after a step, one folder per step,
// written atomically, so that a run killed at any moment resumes to exactly where it was.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DecoderModel } from "../model/decoder.ts";
import type { AdamW } from "../model/optimizer.ts";
import { decodeSafetensors, encodeSafetensors } from "../model/safetensors.ts";

const STATE_PREFIX = "state-";

export function statePath(runDir: string, step: number): string {
  return join(runDir, "checkpoints", `${STATE_PREFIX}${String(step).padStart(6, "0")}`);
}

/** Weights and optimizer moments after `step`, written atomically (tmp + rename). */
export function saveState(runDir: string, step: number, policy: DecoderModel, opt: AdamW): void {
  const final = statePath(runDir, step);
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const { params } = policy.trainable();
  const n = params.data.length;
  writeFileSync(
    join(tmp, "state.safetensors"),
    encodeSafetensors(
      new Map([
        ["params", { shape: [n], data: params.data }],
        ["adam.m", { shape: [n], data: opt.m }],
        ["adam.v", { shape: [n], data: opt.v }],
      ]),
      { step: String(step), adam_t: String(opt.t) },
    ),
  );
  writeFileSync(join(tmp, "state.json"), JSON.stringify({ step, adamT: opt.t }));
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
}

export function loadState(runDir: string, step: number, policy: DecoderModel, opt: AdamW): void {
  const dir = statePath(runDir, step);
  const tensors = decodeSafetensors(readFileSync(join(dir, "state.safetensors")), dir);
  const { adamT } = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { adamT: number };
  policy.trainable().params.data.set(tensors.get("params")!.data);
  opt.load({ t: adamT, m: tensors.get("adam.m")!.data, v: tensors.get("adam.v")!.data });
}

/** Keeps only the state of `keep`; removes older ones and any written past it by a killed step. */
export function pruneStates(runDir: string, keep: number): void {
  const dir = join(runDir, "checkpoints");
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(STATE_PREFIX)) continue;
    const step = Number(name.slice(STATE_PREFIX.length).replace(".tmp", ""));
    if (step !== keep || name.endsWith(".tmp")) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
