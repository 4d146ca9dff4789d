// The gold judge is for evaluation only. A training judge, an estimator or the loop that could
// reach it (or the world's sentence tables it parses with) would train on the answer key. This
// walks the static import graph of every training-side module and fails if the gold is reachable.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { importsOf } from "../helpers/imports.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const FORBIDDEN = ["src/world/tiny-gold.ts", "src/world/tiny-world.ts"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every file reachable from `start`, each with the chain that reaches it; `stop` files are not entered. */
function reachable(start: string[], stop: string[] = []): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = start.map((f) => [f, [relative(ROOT, f)]] as [string, string[]]);
  while (queue.length) {
    const [f, chain] = queue.shift()!;
    if (seen.has(f)) continue;
    seen.set(f, chain);
    if (stop.includes(f)) continue;
    for (const g of importsOf(f)) queue.push([g, [...chain, relative(ROOT, g)]]);
  }
  return seen;
}

const TRAINING_SIDE = [
  ...filesUnder(join(ROOT, "src/judge")),
  ...filesUnder(join(ROOT, "src/rl")),
  ...filesUnder(join(ROOT, "src/recipes/judges")),
  // the GenRM's cold-start teacher is a general critic, never the gold or the world's tables
  join(ROOT, "src/world/tiny-teacher.ts"),
  join(ROOT, "src/recipes/genrm/traces.ts"),
  join(ROOT, "src/recipes/writing-rl/task.ts"),
  join(ROOT, "src/recipes/genrm/task.ts"),
];

test("no training judge, estimator or loop module can reach the gold judge or the world's tables", () => {
  const graph = reachable(TRAINING_SIDE);
  for (const f of FORBIDDEN) {
    const chain = graph.get(join(ROOT, f));
    assert.equal(chain, undefined, `${f} is reachable from training code: ${chain?.join(" -> ")}`);
  }
});

/**
 * The places allowed to reach the gold: the run's evaluator, the raters (the labelling model and
 * the pairs it labels), which play the human labellers whose preferences a judge learns, and the
 * independently built held-out pairs, which the gold labels for evaluation.
 */
const ALLOWED = [
  "src/recipes/evaluator.ts",
  "src/world/tiny-labeller.ts",
  "src/world/tiny-judge-data.ts",
  "src/world/independent-pairs.ts",
].map((f) => join(ROOT, f));

test("nothing else in the recipes, the reward model, the service or the CLI reaches the gold", () => {
  const start = ["src/recipes", "src/rm", "src/serve", "src/cli"]
    .flatMap((d) => filesUnder(join(ROOT, d)))
    .filter((f) => !ALLOWED.includes(f));
  // (the world's tables are fine here: the prompt generator writes from them)
  const chain = reachable(start, ALLOWED).get(join(ROOT, "src/world/tiny-gold.ts"));
  assert.equal(chain, undefined, `the gold is reachable: ${chain?.join(" -> ")}`);
});

/** Loads the native addon's compiled .node file by a computed path: no source is reached that way. */
const NATIVE_LOADERS = [join(ROOT, "src/model/kernels/blas.ts")];

test("every import in src/ is a literal path (no computed import() or require the walker cannot follow)", () => {
  const computed = filesUnder(join(ROOT, "src")).flatMap((f) => {
    const src = readFileSync(f, "utf8");
    if (NATIVE_LOADERS.includes(f)) return [];
    const hits = [...src.matchAll(/\bimport\s*\(\s*(?!["'])|\brequire\s*\(|createRequire\s*\(/g)];
    return hits.map(() => relative(ROOT, f));
  });
  assert.deepEqual(computed, []);
});

test("the walker sees real imports (so the check above can fail)", () => {
  const graph = reachable([join(ROOT, "src/world/tiny-gold.ts")]);
  assert.ok(graph.has(join(ROOT, "src/world/tiny-world.ts")));
  assert.ok(graph.has(join(ROOT, "src/judge/types.ts")));
  const cli = reachable([join(ROOT, "src/cli/main.ts")]);
  assert.ok(cli.has(join(ROOT, "src/rl/estimators/brpo.ts")), "transitive imports are followed");
});
