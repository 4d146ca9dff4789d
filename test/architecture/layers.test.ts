// The architecture's layers, checked on the import graph: a folder of src/ may import only from
// folders below it in LAYERS (and from itself). A back-edge, such as rl importing eval while eval
// imports rl, fails here. The order is the one docs/architecture.md draws. The pure parts (the
// judge, the estimators) touch no file, network or database either.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { importsOf } from "../helpers/imports.ts";

const SRC = resolve(import.meta.dirname, "../../src");

/** Bottom to top. */
export const LAYERS = [
  "model", // tokenizer, transformer, kernels, optimizer, checkpoint formats
  "llm", // model clients: llama.cpp, OpenAI-compatible
  "judge", // principles, template, parser, rule judge (pure)
  "text", // text diagnostics
  "data", // shared shapes (prompts, rollouts, pairs), input files, config files
  "store", // SQLite run store, caches, TensorBoard
  "world", // the tiny world: its generator, raters, gold (evaluation only)
  "rl", // estimators, loss, the loop
  "eval", // GenRM accuracy, head-to-head evaluation
  "rm", // the scalar reward model's training
  "serve", // the reward service
  "tinker", // the Tinker-compatible training service
  "report", // HTML reports
  "recipes", // composition: each recipe's config, task and run; the judge registry
  "cli", // the wz command
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const folderOf = (file: string) => relative(SRC, file).split("/")[0];

test("every folder of src/ has a place in the layers", () => {
  const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
  assert.deepEqual(
    folders.filter((f) => !LAYERS.includes(f)),
    [],
  );
});

test("no import points up the layers", () => {
  const backEdges: string[] = [];
  for (const file of filesUnder(SRC)) {
    const from = LAYERS.indexOf(folderOf(file));
    for (const target of importsOf(file)) {
      if (!target.startsWith(SRC)) continue;
      const to = LAYERS.indexOf(folderOf(target));
      if (to > from) backEdges.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  assert.deepEqual(backEdges, []);
});

test("no file of src/ reaches itself through its imports (type imports included)", () => {
  const graph = new Map(filesUnder(SRC).map((f) => [f, importsOf(f).filter((g) => g.startsWith(SRC))]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === "open")
        cycles.push([...stack.slice(stack.indexOf(g)), g].map((x) => relative(SRC, x)).join(" -> "));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test("the judge and the estimators are pure: no file, network or database", () => {
  const impure =
    /from\s+["'](?:node:(?:fs|http|https|net|child_process)|better-sqlite3|hono[^"']*|@hono\/[^"']+)["']|\bfetch\(/;
  const offenders = [...filesUnder(join(SRC, "judge")), ...filesUnder(join(SRC, "rl", "estimators"))]
    .filter((f) => impure.test(readFileSync(f, "utf8")))
    .map((f) => relative(SRC, f));
  assert.deepEqual(offenders, []);
});

test("the layer check sees a back-edge (so it can fail)", () => {
  // eval imports rl (its head-to-head samples through the loop's rollouts): rl is below eval.
  const evalImports = filesUnder(join(SRC, "eval")).flatMap((f) => importsOf(f).map(folderOf));
  assert.ok(evalImports.includes("rl"));
  assert.ok(LAYERS.indexOf("rl") < LAYERS.indexOf("eval"));
});
