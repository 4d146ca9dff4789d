// `wz eval` on a policy that `wz train` produced: if the evaluation judge is the judge that run
// trained against, its verdicts measure what the policy learned to please, not better writing.
// Finds the run (a run.sqlite in the model's folder or up to three folders above) and compares.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { JudgeConfig } from "../recipes/judges/config.ts";
import type { TrainConfig } from "../recipes/writing-rl/config.ts";
import { RunStore } from "../store/run-store.ts";

/** The judge as `wz eval`'s flags describe it. */
export interface EvalJudgeDescription {
  kind: "rules" | "genrm";
  model?: string;
  gguf?: string;
}

export function sameJudge(trained: JudgeConfig, used: EvalJudgeDescription): boolean {
  if (trained.kind !== used.kind) return false;
  if (used.kind === "rules") return true;
  if (trained.gguf || used.gguf)
    return !!trained.gguf && !!used.gguf && resolve(trained.gguf) === resolve(used.gguf);
  return trained.model === used.model;
}

function runOf(target: string): string | null {
  let dir = resolve(target);
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "run.sqlite"))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** One warning line per model spec trained against this judge. */
export function trainingJudgeWarnings(targets: string[], used: EvalJudgeDescription): string[] {
  const warnings: string[] = [];
  for (const t of targets) {
    const run = runOf(t);
    if (!run) continue;
    let config: TrainConfig | undefined;
    try {
      const store = new RunStore(join(run, "run.sqlite"), { readonly: true });
      config = store.getMeta<TrainConfig>("config");
      store.close();
    } catch {
      continue;
    }
    if (config && sameJudge(config.judge, used))
      warnings.push(
        `warning: ${t} was trained by the run in ${run} against this same judge (${used.kind}${used.model ? ` ${used.model}` : ""}${used.gguf ? ` ${used.gguf}` : ""}); its win rate here is a training signal, not evidence of better writing: judge with an independent judge`,
      );
  }
  return warnings;
}
