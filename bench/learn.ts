// npm run bench:learn: the learning claim, measured: runs the main job's config into a fresh
// folder and prints the final policy's win rate against the initial one, the constraint
// satisfaction before and after, and the minutes taken (also in RUN/summary.txt).
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
console.log(
  `\nbench:learn: ${((performance.now() - t0) / 60000).toFixed(1)} min wall clock; ${readFileSync(join(out, "summary.txt"), "utf8").split("\n")[1].trim()}`,
);
