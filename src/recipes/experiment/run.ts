// `wz experiment FILE`: the paper's contrast in one command. Stages, each skipped when its output
// is already complete, so a killed experiment resumes where it stopped:
//   1. prompts (train and held-out, shared by every arm) and pairs: rated by each labeller, plus
//      held-out pairs on unseen prompts labelled by the gold;
//   2. the judges: a scalar reward model (wz train-rm) and a GenRM (wz genrm train) per labeller
//      an arm uses; or, with trained_genrm, per seed: the main job's GenRM (trained as wz train
//      trains it, cached by its inputs) and scalar RMs on that GenRM's rated pairs;
//   3. the arms, each a `wz train` run per seed from the same base, prompts and steps (resumed
//      with --resume when a run was cut off);
//   4. the figures: the gold's grading of each final policy on held-out prompts, summarised across
//      seeds, as a table on stdout, results.json and one HTML report.
// Every stage runs the real `wz` command in a child process; its output goes to the stage's log
// and to stderr.
import { spawn } from "node:child_process";
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { stringify as toYaml } from "yaml";
import { ConfigError, formatIssues, parseYamlConfig } from "../../data/config-file.ts";
import {
  type ArmSummary,
  comparisonTable,
  type SeedFigures,
  summariseArm,
  summariseInitial,
} from "../../eval/aggregate.ts";
import type { AccuracySummary } from "../../eval/genrm-accuracy.ts";
import type { HeadToHeadResult } from "../../eval/head-to-head.ts";
import { selectKernel } from "../../model/kernels/select.ts";
import { mulberry32, shuffled } from "../../model/random.ts";
import { renderExperimentReport } from "../../report/experiment-report.ts";
import { RunStore } from "../../store/run-store.ts";
import { makePrompts } from "../../world/constrained-writing.ts";
import { INDEPENDENT_KINDS } from "../../world/independent-pairs.ts";
import { makeJudgePairs } from "../../world/tiny-judge-data.ts";
import {
  type LabelTally,
  makeRatedPairs,
  NO_BIAS,
  type RatedPair,
  ratePairs,
  samplePairs,
  tallyLabels,
} from "../../world/tiny-labeller.ts";
import { buildTinyBase } from "../../world/tiny-model.ts";
import { type BaseSamples, sampleBase } from "../base-samples.ts";
import { TrainConfigSchema } from "../writing-rl/config.ts";
import { ensureTrainedJudge, heldOutFigures } from "../writing-rl/trained-judge.ts";
import { TrainedGenRMSchema } from "../writing-rl/trained-judge-config.ts";
import { ARM_JUDGES, type Arm, type ExperimentConfig, ExperimentConfigSchema } from "./config.ts";

const WZ_BIN = fileURLToPath(new URL("../../../bin/wz.js", import.meta.url));

interface Paths {
  out: string;
  trainPrompts: string;
  evalPrompts: string;
  heldOutPairs: string;
  baseSamples: string;
  pairs: (labels: string) => string;
  rm: (labels: string) => string;
  genrm: (labels: string) => string;
  run: (arm: string, seed: number) => string;
  log: (name: string) => string;
}

function pathsFor(out: string): Paths {
  const o = resolve(out);
  return {
    out: o,
    trainPrompts: join(o, "prompts", "train.jsonl"),
    evalPrompts: join(o, "prompts", "eval.jsonl"),
    heldOutPairs: join(o, "pairs", "held-out.jsonl"),
    baseSamples: join(o, "pairs", "base-samples.jsonl"),
    pairs: (l) => join(o, "pairs", `${l}.jsonl`),
    rm: (l) => join(o, "judges", `rm-${l}`),
    genrm: (l) => join(o, "judges", `genrm-${l}`),
    run: (a, s) => join(o, "arms", a, `seed-${s}`),
    log: (n) => join(o, "logs", `${n}.log`),
  };
}

export function readConfig(path: string): ExperimentConfig {
  if (!existsSync(path)) throw new ConfigError(`${path}: file not found`);
  try {
    return parseYamlConfig(ExperimentConfigSchema, readFileSync(path, "utf8"), path);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

function describeArm(arm: Arm, config: ExperimentConfig): string {
  const estimator = String({ ...config.estimator, ...arm.estimator }.name ?? "brpo");
  const judge = ARM_JUDGES[arm.judge];
  return `${estimator} with the ${judge}${arm.labels ? ` (${arm.labels} labels)` : ""}`;
}

/** A labeller's scalar RM: one for the experiment, or one per seed with trained_genrm. */
const rmDir = (config: ExperimentConfig, p: Paths, labels: string, seed: number) =>
  config.trained_genrm ? p.rm(`${labels}-seed-${seed}`) : p.rm(labels);

/** The GenRM an arm judges with: one per labeller, or one per seed with trained_genrm. */
const genrmDir = (config: ExperimentConfig, p: Paths, labels: string, seed: number) =>
  config.trained_genrm ? p.genrm(`seed-${seed}`) : p.genrm(labels);

/** The labeller of the genrm arms: with trained_genrm, the GenRM's raters (the config checks there is one). */
const genrmLabels = (config: ExperimentConfig) => config.arms.find((a) => a.judge === "genrm")?.labels;

/** The `wz train` config of one arm and seed; validated before anything runs. */
export function armTrainConfig(config: ExperimentConfig, arm: Arm, seed: number, p: Paths): unknown {
  const judge =
    arm.judge === "rules"
      ? config.rules_judge
      : arm.judge === "rm"
        ? { kind: "rm", reward_model: join(rmDir(config, p, arm.labels!, seed), "final") }
        : {
            ...config.genrm_judge,
            kind: "genrm",
            gguf: join(genrmDir(config, p, arm.labels!, seed), "judge.gguf"),
          };
  return {
    seed,
    output: p.run(arm.name, seed),
    model: config.model,
    data: { prompts: p.trainPrompts, eval_prompts: p.evalPrompts },
    judge,
    estimator: { ...config.estimator, ...arm.estimator },
    rollout: config.rollout,
    train: config.train,
    // the gold grades every arm; the arms never see it
    eval: { ...config.eval, judge: "gold" },
  };
}

function rmConfig(config: ExperimentConfig, labels: string, p: Paths): unknown {
  return {
    seed: config.pairs.seed,
    output: p.rm(labels),
    model: config.model,
    data: { pairs: p.pairs(labels), eval_pairs: p.heldOutPairs },
    train: config.reward_model,
  };
}

function genrmConfig(config: ExperimentConfig, labels: string, p: Paths): unknown {
  const { rl_count, ...rest } = config.genrm as { rl_count?: number } & Record<string, unknown>;
  return {
    seed: config.pairs.seed,
    output: p.genrm(labels),
    model: config.model,
    data: { pairs: p.pairs(labels), eval_pairs: p.heldOutPairs, rl_count: rl_count ?? 400 },
    ...rest,
  };
}

/** Runs `wz ARGS` in a child process; output to the stage log and to stderr. */
function runWzStage(args: string[], logPath: string): Promise<number> {
  mkdirSync(resolve(logPath, ".."), { recursive: true });
  const log = createWriteStream(logPath, { flags: "a" });
  log.write(`\n$ wz ${args.join(" ")}\n`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WZ_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const forward = (d: Buffer) => {
      log.write(d);
      process.stderr.write(d);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", fail);
    child.on("close", (code) => log.end(() => done(code ?? 1)));
  });
}

async function stage(title: string, args: string[], logPath: string) {
  process.stderr.write(`\n== ${title}\n`);
  const code = await runWzStage(args, logPath);
  if (code !== 0)
    throw new Error(
      `${title} failed (exit ${code}); its log is ${logPath}. Fix the cause and run the same command again: finished stages are kept.`,
    );
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

function writeJsonl(path: string, rows: unknown[]) {
  mkdirSync(resolve(path, ".."), { recursive: true });
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

/**
 * Two samples per prompt from the base model, drawn as the arms' rollouts are (their temperature
 * and token limit): pretraining-split prompts for training pairs, eval-split for held-out ones.
 */
async function sampleArmsBase(
  config: ExperimentConfig,
  p: Paths,
  kernelName: string,
): Promise<BaseSamples[]> {
  const kernel = await selectKernel(kernelName);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const baseDir =
    config.model.init === "tiny"
      ? buildTinyBase(config.model.tiny, config.model.cache, { log, kernel }).dir
      : config.model.init;
  const rollout = TrainConfigSchema.parse(armTrainConfig(config, config.arms[0], config.seeds[0], p)).rollout;
  return sampleBase({
    baseDir,
    gguf: join(p.out, "pairs", "base.gguf"),
    counts: { pretrain: config.pairs.on_policy, eval: config.pairs.eval_on_policy },
    seed: config.pairs.seed,
    temperature: rollout.temperature,
    maxTokens: rollout.max_tokens,
    kernel,
  });
}

/** The arm's figures from a finished run: the gold's head-to-head and the per-step metrics. */
function readRun(
  dir: string,
  seed: number,
): (SeedFigures & { examples: HeadToHeadResult["examples"] }) | null {
  if (!existsSync(join(dir, "summary.txt"))) return null;
  const store = new RunStore(join(dir, "run.sqlite"));
  const h2h = store.getEval<HeadToHeadResult & { independent: boolean }>("final_vs_initial");
  // From the store, not metrics.jsonl: a resumed run may have appended a step twice there.
  const steps = store.stepMetrics().map((r) => ({ ...r.metrics, step: r.step + 1 }));
  store.close();
  if (!h2h) return null;
  const [gold, own] = h2h.independent ? [h2h.tallies[0], h2h.tallies[1]] : [undefined, h2h.tallies[0]];
  const figures = (f: HeadToHeadResult["a"]) => ({
    fluent: f.task.fluent ?? null,
    all_met: f.task.all_met ?? null,
    required_word: f.task.required_word ?? null,
    taste: f.task.taste ?? null,
    words: f.task.words ?? f.words,
    commentary_tokens: f.task.commentary_tokens ?? f.commentaryTokens,
    distinct_2: f.distinct2,
  });
  return {
    seed,
    final: {
      ...figures(h2h.a),
      gold_win_rate: gold?.winRate ?? null,
      taste_tied_win_rate: h2h.pairTallies?.find((t) => t.key === "taste_tied")?.winRate ?? null,
      proxy_win_rate: own?.winRate ?? null,
    },
    initial: figures(h2h.b),
    steps,
    examples: h2h.examples,
  };
}

/** Runs (or resumes) the whole experiment; returns the exit code. */
export async function runExperiment(
  config: ExperimentConfig,
  o: { origin: string; out: string; kernel: string },
): Promise<number> {
  const p = pathsFor(o.out);
  const kernelArgs = ["--kernel", o.kernel];
  const started = performance.now();
  checkArms(config, p, o.origin);
  claimFolder(config, p);
  const { tallies, used } = await makeInputs(config, p, o.kernel);
  await trainJudges(config, p, used, kernelArgs);
  await runArms(config, p, o.kernel, used);
  return writeFigures(config, p, tallies, used, started);
}

type Used = (kind: Arm["judge"]) => string[];

function checkArms(config: ExperimentConfig, p: Paths, origin: string): void {
  // Every arm's wz train config must be valid before hours are spent on the judges.
  for (const arm of config.arms) {
    const r = TrainConfigSchema.safeParse(armTrainConfig(config, arm, config.seeds[0], p));
    if (!r.success) throw new ConfigError(formatIssues(r.error, `${origin}: arm ${arm.name}`));
  }
}

function claimFolder(config: ExperimentConfig, p: Paths): void {
  // A folder holds one experiment: resuming with another config would mix two.
  mkdirSync(p.out, { recursive: true });
  const recordPath = join(p.out, "experiment.json");
  // The folder's own place is not part of the experiment: a moved folder resumes.
  const record = JSON.stringify({ ...config, output: undefined }, null, 2);
  if (
    existsSync(recordPath) &&
    !isDeepStrictEqual(JSON.parse(readFileSync(recordPath, "utf8")), JSON.parse(record))
  )
    throw new ConfigError(
      `${p.out} holds an experiment with another config (${recordPath}); choose another --output or delete the folder`,
    );
  writeFileSync(recordPath, `${record}\n`);
}

/** The prompts, the base's own samples (when asked for) and each labeller's rated pairs. */
async function makeInputs(
  config: ExperimentConfig,
  p: Paths,
  kernel: string,
): Promise<{ tallies: Record<string, LabelTally>; used: Used }> {
  // 1. prompts and pairs (deterministic; rewritten when missing)
  if (!existsSync(p.evalPrompts)) {
    const row = (x: { id: string; prompt: string }) => ({ id: x.id, prompt: x.prompt });
    writeJsonl(
      p.trainPrompts,
      makePrompts(config.prompts.train_count, config.prompts.seed, "train").map(row),
    );
    writeJsonl(p.evalPrompts, makePrompts(config.prompts.eval_count, config.prompts.seed, "eval").map(row));
  }
  const used: Used = (kind) => [
    ...new Set(config.arms.filter((a) => a.judge === kind).map((a) => a.labels!)),
  ];
  // with trained_genrm, the pairs are each seed's GenRM's (seedJudges)
  if (config.trained_genrm) return { tallies: {}, used };
  // The base model's own samples, paired (only when asked for): training pairs get each
  // labeller's rating, held-out ones the gold's label.
  let sampled: ReturnType<typeof samplePairs> = [];
  let heldSampled: RatedPair[] = [];
  if (config.pairs.on_policy + config.pairs.eval_on_policy > 0) {
    if (!existsSync(p.baseSamples)) writeJsonl(p.baseSamples, await sampleArmsBase(config, p, kernel));
    const items = readJsonl<BaseSamples>(p.baseSamples);
    sampled = samplePairs(items.filter((x) => x.split === "pretrain"));
    heldSampled = ratePairs(
      samplePairs(items.filter((x) => x.split === "eval")),
      { ...NO_BIAS, tieMargin: 0 },
      config.pairs.seed,
    ).filter((x) => x.gold_label !== null);
  }
  if (!existsSync(p.heldOutPairs))
    writeJsonl(p.heldOutPairs, [
      ...makeJudgePairs(config.pairs.eval_count, config.pairs.seed, "eval"),
      ...heldSampled.map(({ gold_label, reason, ...pair }) => pair),
    ]);
  const tallies: Record<string, LabelTally> = {};
  for (const labels of new Set([...used("rm"), ...used("genrm")])) {
    // The pairs file, once written, is what the judges learn from: tally it, never a regeneration.
    if (!existsSync(p.pairs(labels))) {
      const l = config.labellers[labels];
      const labeller = {
        noise: l.noise,
        tieMargin: l.tie_margin,
        explainBias: l.explain_bias,
        lengthBias: l.length_bias,
      };
      const rated = [
        ...makeRatedPairs(config.pairs.train_count, config.pairs.seed, "pretrain", labeller),
        ...ratePairs(sampled, labeller, config.pairs.seed + 1),
      ];
      // With sampled pairs, shuffled by a fixed permutation: the GenRM keeps the file's last pairs
      // for RLVR, and those should be of both kinds.
      writeJsonl(
        p.pairs(labels),
        sampled.length ? shuffled(rated, mulberry32(config.pairs.seed * 2654435761)) : rated,
      );
    }
    tallies[labels] = tallyLabels(readJsonl<RatedPair>(p.pairs(labels)));
    const t = tallies[labels];
    process.stderr.write(
      `labels "${labels}": ${t.pairs} pairs (${sampled.length} of the base model's own samples), ${(100 * (t.agreesWithGold ?? 0)).toFixed(1)}% agree with the gold; by reason ${Object.entries(
        t.reasons,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}\n`,
    );
  }

  return { tallies, used };
}

/** The scalar RMs and GenRMs the arms name, each trained once on its labeller's pairs. */
async function trainJudges(
  config: ExperimentConfig,
  p: Paths,
  used: Used,
  kernelArgs: string[],
): Promise<void> {
  if (config.trained_genrm) return; // per seed, in seedJudges
  for (const labels of used("rm")) {
    if (existsSync(join(p.rm(labels), "summary.json"))) continue;
    const cfg = configFile(p, `rm-${labels}`, rmConfig(config, labels, p));
    await stage(
      `scalar reward model on "${labels}" labels`,
      ["train-rm", cfg, ...kernelArgs],
      p.log(`rm-${labels}`),
    );
  }
  for (const labels of used("genrm")) {
    const dir = p.genrm(labels);
    if (existsSync(join(dir, "summary.json"))) continue;
    // wz genrm train has no resume of its own: an unfinished one starts again.
    rmSync(dir, { recursive: true, force: true });
    const cfg = configFile(p, `genrm-${labels}`, genrmConfig(config, labels, p));
    await stage(
      `GenRM on "${labels}" labels (traces, cold-start SFT, RLVR)`,
      ["genrm", "train", cfg, "--output", dir, ...kernelArgs],
      p.log(`genrm-${labels}`),
    );
  }

  for (const labels of used("genrm")) checkJudgeLimit(config, p.genrm(labels), `"${labels}" labels`);
}

/**
 * A judge cut short by its token limit judges from half a critique (the grammar still writes a
 * last line): refuse a limit below what the trained GenRM writes on held-out pairs.
 */
function checkJudgeLimit(config: ExperimentConfig, dir: string, trainedOn: string): void {
  const limit = Number((config.genrm_judge as { max_tokens?: number }).max_tokens ?? 2048);
  const written = (readJson(join(dir, "summary.json"))?.tokensPerJudgment as { rlvr?: number })?.rlvr;
  if (written && limit < 1.2 * written)
    throw new ConfigError(
      `genrm_judge.max_tokens ${limit} is below what the GenRM trained on ${trainedOn} writes per judgment (${written.toFixed(0)} tokens on average on held-out pairs); raise it to at least ${Math.ceil(1.5 * written)}`,
    );
}

/** The GenRM's files an arm and the figures need, copied from the cache into the experiment. */
const GENRM_FILES = ["judge.gguf", "pairs.jsonl", "held-out-source.jsonl", "summary.json"];

/**
 * With trained_genrm, one seed's judges: the GenRM as the main job trains it (the same cache, so
 * the main job's seed reuses it), then a scalar RM per labeller on that GenRM's rated pairs (the
 * GenRM's raters' labels, or the same pairs rated by another labeller), on the GenRM's base.
 */
async function seedJudges(
  config: ExperimentConfig,
  p: Paths,
  seed: number,
  kernelName: string,
  used: Used,
): Promise<void> {
  const g = config.trained_genrm!;
  const raters = genrmLabels(config)!;
  const dir = p.genrm(`seed-${seed}`);
  if (!existsSync(join(dir, "summary.json"))) {
    process.stderr.write(`\n== GenRM of seed ${seed} on "${raters}" labels (the main job's recipe)\n`);
    const kernel = await selectKernel(kernelName);
    const rollout = TrainConfigSchema.parse(armTrainConfig(config, config.arms[0], seed, p)).rollout;
    const trained = await ensureTrainedJudge(
      TrainedGenRMSchema.parse({ ...g, raters: config.labellers[raters] }),
      seed,
      { model: config.model, temperature: rollout.temperature, maxTokens: rollout.max_tokens },
      { kernel, log: (line) => process.stderr.write(`${line}\n`) },
    );
    mkdirSync(dir, { recursive: true });
    // summary.json last: its presence says the copy is whole
    for (const f of GENRM_FILES) copyFileSync(join(trained.dir, f), join(dir, f));
  }
  checkJudgeLimit(config, dir, `"${raters}" labels (seed ${seed})`);
  for (const labels of used("rm")) {
    const out = p.rm(`${labels}-seed-${seed}`);
    if (existsSync(join(out, "summary.json"))) continue;
    let pairs = join(dir, "pairs.jsonl");
    if (labels !== raters) {
      // the same pairs, rated by this labeller
      const l = config.labellers[labels];
      const rated = ratePairs(
        readJsonl<RatedPair>(pairs).map(({ label, ...x }) => x),
        { noise: l.noise, tieMargin: l.tie_margin, explainBias: l.explain_bias, lengthBias: l.length_bias },
        seed + 1,
      );
      pairs = p.pairs(`${labels}-seed-${seed}`);
      writeJsonl(
        pairs,
        rated.map(({ gold_label, reason, ...x }) => x),
      );
    }
    // under configs/judges/: an arm's config is configs/ARM-seed-N.yaml, and an arm may be named rm-control
    const cfg = configFile(p, `judges/rm-${labels}-seed-${seed}`, {
      seed,
      output: out,
      model: g.model,
      data: { pairs, eval_pairs: join(dir, "held-out-source.jsonl") },
      train: config.reward_model,
    });
    await stage(
      `scalar reward model on "${labels}" labels, seed ${seed} (the GenRM's pairs and base)`,
      ["train-rm", cfg, "--kernel", kernelName],
      p.log(`rm-${labels}-seed-${seed}`),
    );
  }
}

const configFile = (p: Paths, name: string, doc: unknown) => {
  const path = join(p.out, "configs", `${name}.yaml`);
  mkdirSync(resolve(path, ".."), { recursive: true });
  writeFileSync(path, toYaml(doc));
  return path;
};

/** The arms, seed by seed, so a stopped experiment has whole seeds to show. */
async function runArms(config: ExperimentConfig, p: Paths, kernelName: string, used: Used): Promise<void> {
  const kernelArgs = ["--kernel", kernelName];
  const total = config.seeds.length * config.arms.length;
  let index = 0;
  for (const seed of config.seeds) {
    if (config.trained_genrm) await seedJudges(config, p, seed, kernelName, used);
    for (const arm of config.arms) {
      index++;
      const dir = p.run(arm.name, seed);
      if (existsSync(join(dir, "summary.txt"))) continue;
      const title = `arm ${index}/${total}: ${arm.name} (${describeArm(arm, config)}), seed ${seed}`;
      const logPath = p.log(`${arm.name}-seed-${seed}`);
      if (existsSync(join(dir, "run.sqlite"))) {
        const store = new RunStore(join(dir, "run.sqlite"));
        const steps = store.lastCompletedStep();
        store.close();
        if (steps >= 0) {
          await stage(`${title} (resumed)`, ["train", "--resume", dir], logPath);
          continue;
        }
      }
      const cfg = configFile(p, `${arm.name}-seed-${seed}`, armTrainConfig(config, arm, seed, p));
      await stage(title, ["train", cfg, ...kernelArgs], logPath);
    }
  }
}

/** The gold's table over seeds, results.json and the HTML report. */
function writeFigures(
  config: ExperimentConfig,
  p: Paths,
  tallies: Record<string, LabelTally>,
  used: Used,
  started: number,
): number {
  // 4. the figures
  const arms: { arm: Arm; summary: ArmSummary; runs: NonNullable<ReturnType<typeof readRun>>[] }[] = [];
  for (const arm of config.arms) {
    const runs = config.seeds.flatMap((s) => readRun(p.run(arm.name, s), s) ?? []);
    arms.push({ arm, summary: summariseArm(arm.name, describeArm(arm, config), runs), runs });
  }
  const initial = summariseInitial(arms.flatMap((a) => a.runs));
  const judgeNames = config.trained_genrm
    ? config.seeds.flatMap((s) => [
        ...used("rm").map((l) => [`rm-${l}-seed-${s}`, p.rm(`${l}-seed-${s}`)]),
        [`genrm-seed-${s}`, p.genrm(`seed-${s}`)],
      ])
    : [
        ...used("rm").map((l) => [`rm-${l}`, p.rm(l)]),
        ...used("genrm").map((l) => [`genrm-${l}`, p.genrm(l)]),
      ];
  const judges: Record<string, Record<string, unknown> | null> = Object.fromEntries(
    judgeNames.map(([name, dir]) => [name, readJson(join(dir, "summary.json"))]),
  );
  const minutes = (performance.now() - started) / 60000;
  const results = {
    config,
    labels: tallies,
    judges,
    initial,
    arms: arms.map((a) => ({ ...a.summary, perSeed: a.runs.map(({ examples, steps, ...r }) => r) })),
    minutes,
  };
  writeFileSync(join(p.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const reportPath = join(p.out, "report.html");
  writeFileSync(
    reportPath,
    renderExperimentReport({
      labels: tallies,
      labellers: config.labellers,
      judges,
      initial,
      arms: arms.map((a) => ({
        summary: a.summary,
        runs: a.runs,
        estimator: String({ ...config.estimator, ...a.arm.estimator }.name ?? "brpo"),
      })),
      seeds: config.seeds,
    }),
  );
  const judgeLines = Object.entries(judges).map(([name, s]) => `  ${name}: ${judgeAccuracy(s)}`);
  console.log(
    [
      `The contrast on ${config.prompts.eval_count} held-out prompts, graded by the tiny world's gold; mean [95% t-interval] over seeds ${config.seeds.join(", ")}:`,
      "",
      comparisonTable([initial, ...arms.map((a) => a.summary)]),
      "",
      "arms:",
      ...arms.map(
        (a) =>
          `  ${a.arm.name}: ${a.summary.describe} (${a.runs.length} of ${config.seeds.length} seeds finished)`,
      ),
      "judges on held-out pairs labelled by the gold:",
      ...judgeLines,
      "",
      `results ${join(p.out, "results.json")}; report ${reportPath}; ${minutes.toFixed(1)} min this invocation`,
    ].join("\n"),
  );
  return 0;
}

function readJson(path: string): Record<string, unknown> | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : null;
}

/** One line per judge: held-out accuracy against the gold (and the GenRM's order figures). */
export function judgeAccuracy(s: Record<string, unknown> | null): string {
  if (!s) return "not trained";
  const pct = (x: unknown) => (typeof x === "number" ? `${(100 * x).toFixed(1)}%` : "n/a");
  if (s.heldOutAfter) {
    const a = s.heldOutAfter as { accuracy: number; n: number };
    return `scalar RM, accuracy ${pct(a.accuracy)} on ${a.n} pairs`;
  }
  const rate = (x: unknown) => pct((x as { value: number | null } | undefined)?.value);
  const r = s.rlvr as Record<string, unknown>;
  const sft = s.sft as Record<string, unknown> | null;
  const line = `GenRM, accuracy ${rate(r.accuracy)} (SFT-only ${sft ? rate(sft.accuracy) : "not measured"}), consistency ${rate(r.consistency)}, first-position ${rate(r.firstPositionWinRate)}`;
  // the main job's GenRM is held out on independently built pairs by kind: those figures too
  const kinds = (r as unknown as AccuracySummary).byKind ?? [];
  return kinds.some((k) => (INDEPENDENT_KINDS as readonly string[]).includes(k.kind))
    ? `${line}; ${heldOutFigures(r as unknown as AccuracySummary)}`
    : line;
}
