// The main job's judge, trained before the policy: Writing-Zero's first half in the same command.
//   1. rated pairs: constructed pairs of the tiny world and pairs of the policy base's own samples,
//      labelled by the raters (tiny-labeller: the gold's ranking with noise and leanings), never by
//      the gold itself;
//   2. the GenRM recipe (wz genrm train) on them: the teacher's critiques kept where they agree with
//      the raters, cold-start SFT, RLVR;
//   3. held-out accuracy, for the log and the docs only: pairs built independently of the training
//      generator (independent-pairs.ts) and pairs of the base's samples on held-out prompts, labelled
//      by the gold. Nothing of this reaches training.
// The judge is cached by the content of its inputs (its config, the policy base, the raters' and the
// templates' versions), like the tiny base: a second run reuses it.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { AccuracySummary } from "../../eval/genrm-accuracy.ts";
import { GENRM_REWARD_VERSION } from "../../judge/genrm-reward.ts";
import { COMPACT_TEMPLATE_VERSION } from "../../judge/template.ts";
import type { ComputeBackend } from "../../model/kernels/types.ts";
import { mulberry32, shuffled } from "../../model/random.ts";
import { makeIndependentPairs } from "../../world/independent-pairs.ts";
import {
  makeRatedPairs,
  NO_BIAS,
  RATERS_VERSION,
  type RatedPair,
  ratePairs,
  samplePairs,
} from "../../world/tiny-labeller.ts";
import { TEACHER_VERSION } from "../../world/tiny-teacher.ts";
import { sampleBase } from "../base-samples.ts";
import { GenRMConfigSchema } from "../genrm/config.ts";
import { runGenRM } from "../genrm/run.ts";
import { baseModelPath } from "../model-block.ts";
import { TRAINED_GENRM_VERSION, type TrainedGenRMConfig } from "./trained-judge-config.ts";

interface PolicySide {
  seed: number;
  /** The policy's base model folder (its samples make the on-policy pairs). */
  baseDir: string;
  /**
   * The base in the cache key: the tiny base by its folder's name (the hash of its recipe, the same
   * in every checkout), another base by its absolute path.
   */
  baseKey: string;
  temperature: number;
  maxTokens: number;
}

/** The cache folder of the judge these inputs train. */
export function trainedJudgeDir(g: TrainedGenRMConfig, policy: PolicySide): string {
  const { cache, ...recipe } = g;
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        TRAINED_GENRM_VERSION,
        RATERS_VERSION,
        TEACHER_VERSION,
        COMPACT_TEMPLATE_VERSION,
        GENRM_REWARD_VERSION,
        recipe,
        policy.baseKey,
        policy.seed,
        policy.temperature,
        policy.maxTokens,
      ]),
    )
    .digest("hex")
    .slice(0, 12);
  return join(cache, key);
}

/**
 * The trained judge's GGUF: from the cache when these inputs trained one before, else trained now
 * (into a scratch folder renamed into place when complete, so a killed run retrains from scratch).
 */
export async function ensureTrainedJudge(
  g: TrainedGenRMConfig,
  policySeed: number,
  policy: { model: Parameters<typeof baseModelPath>[0]; temperature: number; maxTokens: number },
  o: { kernel: ComputeBackend; log: (line: string) => void },
): Promise<{ gguf: string; dir: string; summary: AccuracySummary; cached: boolean }> {
  const baseDir = baseModelPath(policy.model, o);
  const side: PolicySide = {
    seed: policySeed,
    baseDir,
    baseKey: policy.model.init === "tiny" ? `tiny:${basename(baseDir)}` : resolve(baseDir),
    temperature: policy.temperature,
    maxTokens: policy.maxTokens,
  };
  const dir = trainedJudgeDir(g, side);
  const done = join(dir, "summary.json");
  if (existsSync(done) && existsSync(join(dir, "judge.gguf"))) {
    const summary = JSON.parse(readFileSync(done, "utf8")).rlvr as AccuracySummary;
    o.log(`GenRM: cached in ${dir} (delete the folder to train it again)`);
    logHeldOut(summary, o.log);
    return { gguf: join(dir, "judge.gguf"), dir, summary, cached: true };
  }
  const scratch = `${dir}.partial`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  o.log(`GenRM: training the judge first (Writing-Zero's first half), into ${dir}`);
  const { trainFile, heldFile } = await writePairs(g, side, scratch, o);
  const { cache, raters, pairs, ...recipe } = g;
  const config = GenRMConfigSchema.parse({
    ...recipe,
    seed: policySeed,
    output: scratch,
    data: { pairs: trainFile, eval_pairs: heldFile, rl_count: pairs.rl_count },
  });
  await runGenRM(config, { out: scratch, origin: "genrm", kernel: o.kernel, log: o.log });
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  const summary = JSON.parse(readFileSync(done, "utf8")).rlvr as AccuracySummary;
  logHeldOut(summary, o.log);
  return { gguf: join(dir, "judge.gguf"), dir, summary, cached: false };
}

/** The raters' training pairs and the held-out pairs, as JSONL files in the judge's folder. */
async function writePairs(
  g: TrainedGenRMConfig,
  side: PolicySide,
  dir: string,
  o: { kernel: ComputeBackend; log: (line: string) => void },
): Promise<{ trainFile: string; heldFile: string }> {
  const p = g.pairs;
  const rater = {
    noise: g.raters.noise,
    tieMargin: g.raters.tie_margin,
    explainBias: g.raters.explain_bias,
    lengthBias: g.raters.length_bias,
  };
  const items =
    p.on_policy + p.held_out_on_policy > 0
      ? await sampleBase({
          baseDir: side.baseDir,
          gguf: join(dir, "base.gguf"),
          counts: { pretrain: p.on_policy, eval: p.held_out_on_policy },
          seed: side.seed,
          temperature: side.temperature,
          maxTokens: side.maxTokens,
          kernel: o.kernel,
        })
      : [];
  const sampled = samplePairs(items.filter((x) => x.split === "pretrain"));
  // shuffled by a fixed permutation: the GenRM keeps the file's last pairs for RLVR, of every kind
  const train = shuffled(
    [
      ...makeRatedPairs(p.constructed, side.seed, ["pretrain", "train"], rater, {
        minimalShare: p.minimal_share,
        tasteShare: p.taste_share,
        composedShare: p.composed_share,
      }),
      ...ratePairs(sampled, rater, side.seed + 1).map((x) => ({ ...x, kind: "on-policy" })),
    ],
    mulberry32(side.seed * 2654435761),
  );
  // Held out: labelled by the gold (evaluation), pairs it cannot separate dropped.
  const heldSampled = ratePairs(
    samplePairs(items.filter((x) => x.split === "eval")),
    { ...NO_BIAS, tieMargin: 0 },
    side.seed,
  ).filter((x) => x.gold_label !== null);
  const held = [
    ...makeIndependentPairs(p.held_out_per_kind, side.seed),
    ...heldSampled.map(({ gold_label, reason, ...x }) => ({ ...x, kind: "on-policy" })),
  ];
  const trainFile = join(dir, "pairs.jsonl");
  const heldFile = join(dir, "held-out-source.jsonl");
  const row = ({ gold_label, reason, ...x }: RatedPair) => x;
  writeFileSync(trainFile, `${train.map((x) => JSON.stringify(row(x))).join("\n")}\n`);
  writeFileSync(heldFile, `${held.map((x) => JSON.stringify(x)).join("\n")}\n`);
  const agree = train.filter((x) => x.gold_label === null || x.label === x.gold_label).length;
  o.log(
    `GenRM pairs: ${train.length} rated (${sampled.length} of the base's own samples; the raters agree with the gold on ${((100 * agree) / Math.max(1, train.length)).toFixed(1)}% of the pairs it separates or ties), ${held.length} held out`,
  );
  return { trainFile, heldFile };
}

function logHeldOut(s: AccuracySummary, log: (line: string) => void): void {
  log(`GenRM held out (gold labels, never trained on): ${heldOutFigures(s)}`);
}

/** The held-out figures the docs quote: independent kinds pooled, then each kind, then the base's samples. */
export function heldOutFigures(s: AccuracySummary): string {
  const independent = s.byKind.filter((k) => k.kind !== "on-policy");
  const n = independent.reduce((t, k) => t + k.accuracy.n, 0);
  const right = independent.reduce((t, k) => t + (k.accuracy.value ?? 0) * k.accuracy.n, 0);
  const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);
  return `independent pairs ${pct(n ? right / n : null)} of ${n} (${independent.map((k) => `${k.kind} ${pct(k.accuracy.value)}`).join(", ")}); ${s.byKind
    .filter((k) => k.kind === "on-policy")
    .map((k) => `base samples ${pct(k.accuracy.value)} of ${k.accuracy.n}`)
    .join("")}`;
}
