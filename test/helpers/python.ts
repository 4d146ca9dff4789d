// The project's Python environment for tests against real Python peers (TRL, transformers,
// PyTorch 2.13, verl). scripts/setup-python.sh makes it in .venv; WZ_PYTHON points elsewhere.
// Outside CI a missing environment skips the test with the command that makes it; in CI
// (CI=true) it never skips, so a broken install fails the run instead of hiding.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export interface ProjectPython {
  bin: string;
  skip: string | false;
}

export function projectPython(modules: string[]): ProjectPython {
  const bin = process.env.WZ_PYTHON ?? resolve(".venv/bin/python");
  if (process.env.CI) return { bin, skip: false };
  if (!existsSync(bin)) return { bin, skip: `no ${bin}: run bash scripts/setup-python.sh` };
  const probe = spawnSync(bin, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8" });
  if (probe.status !== 0) {
    return { bin, skip: `${bin} lacks ${modules.join(", ")}: run bash scripts/setup-python.sh` };
  }
  return { bin, skip: false };
}
