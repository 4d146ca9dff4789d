// Runs every test/**/*.test.ts with node's test runner (Node 20 expands no globs itself).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return p.endsWith(".test.ts") ? [p] : [];
  });
}

const filter = process.argv.slice(2);
const files = find("test")
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(r.status ?? 1);
