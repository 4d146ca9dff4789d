// Runs every test/**/*.test.ts with node's test runner (Node 20 expands no globs itself). The
// tests' temporary folders (models, runs, GGUF files: gigabytes with the real-model tests) go in
// one folder of this run, removed at the end, so repeated runs do not fill the disk.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
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
const scratch = mkdtempSync(join(tmpdir(), "wz-tests-"));
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, TMPDIR: scratch } },
);
rmSync(scratch, { recursive: true, force: true });
process.exit(r.status ?? 1);
