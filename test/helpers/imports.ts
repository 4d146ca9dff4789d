// The relative imports of a source file, for the tests that walk the import graph.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Relative imports of one file (static, re-exports and dynamic imports of a literal path). */
export function importsOf(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const specs = [
    ...src.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g),
    ...src.matchAll(/import\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...src.matchAll(/^\s*import\s+["']([^"']+)["']/gm),
  ].map((m) => m[1]);
  return specs.filter((s) => s.startsWith(".")).map((s) => resolve(dirname(file), s));
}
