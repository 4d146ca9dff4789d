// npm run bench:learn: the learning claim, measured: runs the main job's config into a fresh
// folder and prints the final evaluation (the evaluation judge's figures first: in the tiny world
// the gold's), the step-time breakdown, and the minutes taken (also in RUN/summary.txt).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = join(mkdtempSync(join(tmpdir(), "wz-learn-")), "run");
const t0 = performance.now();
const r = spawnSync(
  process.execPath,
  ["bin/wz.js", "train", process.argv[2] ?? "examples/tiny/config.yaml", "--output", out],
  {
    stdio: ["ignore", "inherit", "inherit"],
  },
);
if (r.status !== 0) process.exit(r.status ?? 1);
const steps = readFileSync(join(out, "metrics.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Record<string, number | null>);
const total = (k: string) => steps.reduce((s, m) => s + (m[k] ?? 0), 0);
const parts = ["sample", "judge", "train", "sync", "store"].map(
  (k) => `${k} ${total(`time_${k}_s`).toFixed(1)}s`,
);
const summary = readFileSync(join(out, "summary.txt"), "utf8").split("\n");
console.log(
  `\nbench:learn: ${((performance.now() - t0) / 60000).toFixed(1)} min wall clock; steps: ${parts.join(", ")}\n${summary.slice(1, 3).join("\n")}`,
);
