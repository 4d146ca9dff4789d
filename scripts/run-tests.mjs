// Runs every test/**/*.test.ts with node's test runner (Node 20 expands no globs itself). The
// tests' temporary folders (models, runs, GGUF files: gigabytes with the real-model tests) go in
// one folder of this run, removed at the end, so repeated runs do not fill the disk.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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
// A second report in TAP, to find skipped tests: under CI none may skip (test/helpers/requirement.ts).
const tap = join(scratch, "report.tap");
const r = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    // A test that hangs fails after 10 minutes instead of holding CI to its limit.
    "--test-timeout=600000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, TMPDIR: scratch } },
);
const skipped = existsSync(tap)
  ? readFileSync(tap, "utf8")
      .split("\n")
      .filter((l) => /^\s*ok \d+ - .* # SKIP\b/.test(l))
      .map((l) => l.trim())
  : [];
rmSync(scratch, { recursive: true, force: true });
if (process.env.CI && skipped.length) {
  console.log(`\n${skipped.length} test(s) skipped under CI, where nothing may skip:`);
  for (const l of skipped) console.log(`  ${l}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
