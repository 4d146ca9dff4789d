// `wz eval`: did my policy get better? Generate (or read) responses from two or more models,
// judge every pair of models under both orders, and report win rates, length-controlled win
// rates and Bradley-Terry ratings; or, with --criteria, WritingBench-style criteria scores.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parsePromptsJsonl } from "../data/prompts.ts";
import {
  bootstrapRatings,
  bradleyTerry,
  lengthControlledWinRate,
  type PairResult,
} from "../eval/bradley-terry.ts";
import {
  CRITERIA_TEMPLATE_VERSION,
  type CriteriaQuery,
  parseCriteriaQuery,
  parseCriterionScore,
  renderCriterionMessages,
} from "../eval/criteria.ts";
import { wilson } from "../eval/intervals.ts";
import type { PairwiseJudge } from "../judge/types.ts";
import type { ChatBackend } from "../llm/types.ts";
import { DEFAULT_JUDGE_SAMPLING } from "../llm/types.ts";
import { mulberry32 } from "../model/random.ts";
import { createGenerator, type GenerateOptions, parseModelSpec } from "../recipes/generators.ts";
import { Progress } from "../recipes/progress.ts";
import { type EvalReportData, renderEvalReport } from "../report/eval-report.ts";
import { mean } from "../text/diagnostics.ts";
import { UsageError } from "./errors.ts";
import { numberFlag } from "./flags.ts";
import { buildJudge, JUDGE_FLAGS, JUDGE_FLAGS_HELP } from "./judge-options.ts";
import { trainingJudgeWarnings } from "./training-judge-check.ts";

export const EVAL_HELP = `wz eval --models A=SPEC --models B=SPEC [...] --prompts FILE [options]

SPEC is a GGUF file, one of our model folders, openai:BASE_URL@MODEL, or
responses:FILE.jsonl (previously generated {"id","response"} lines; every run writes
DIR/responses-NAME.jsonl that can be read back this way).

Pairwise (default): every pair of models on every prompt and sample, judged under both orders;
reports win rates with Wilson intervals, a length-controlled win rate (logistic regression of
the verdict on the length difference, read at equal length) and Bradley-Terry ratings with
bootstrap intervals.
--criteria: WritingBench-style rows ({"index","query","checklist"}); the GenRM scores each
response on each criterion 1-10 as JSON {"score","reason"}; reports per-criterion and mean scores.

  --prompts FILE           JSONL prompts ({"id","prompt"}, {"id","messages"} or {"index","query",...})
  --samples N              responses per prompt and model (default 1)
  --temperature T          generation temperature (default 0.7)
  --max-tokens N           generation limit (default 512)
  --gen-seed S             generation seed (default 0)
  --output DIR             results folder (default eval-out): summary.json, report.html, responses

${JUDGE_FLAGS_HELP}`;

const EVAL_OPTIONS = {
  ...JUDGE_FLAGS,
  models: { type: "string", multiple: true },
  prompts: { type: "string" },
  samples: { type: "string", default: "1" },
  temperature: { type: "string", default: "0.7" },
  "max-tokens": { type: "string", default: "512" },
  "gen-seed": { type: "string", default: "0" },
  criteria: { type: "boolean", default: false },
  output: { type: "string", default: "eval-out" },
  help: { type: "boolean", short: "h" },
} as const;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: EVAL_OPTIONS });
  if (values.help) {
    console.log(EVAL_HELP);
    return 0;
  }
  const v = values as Record<string, unknown>;
  const specs = values.models ?? [];
  if (specs.length < (values.criteria ? 1 : 2))
    throw new UsageError(`--models: give ${values.criteria ? "at least one" : "two or more"} models`);
  if (!values.prompts) throw new UsageError("--prompts is required");
  const { queries, prompts } = readEvalInputs(values.prompts, values.criteria);
  const gen = {
    samples: numberFlag(v, "samples", { int: true, min: 1 })!,
    temperature: numberFlag(v, "temperature", { min: 0 })!,
    maxTokens: numberFlag(v, "max-tokens", { int: true, min: 1 })!,
    seed: numberFlag(v, "gen-seed", { int: true })!,
  };
  const built = buildJudge(values);
  const used = {
    kind: (v.judge as "rules" | "genrm") ?? "genrm",
    model: (v.model as string | undefined) ?? process.env.WZ_MODEL,
    gguf: v.gguf as string | undefined,
  };
  const targets = specs.map((s) => parseModelSpec(s)).filter((m) => m.kind === "gguf" || m.kind === "folder");
  for (const w of trainingJudgeWarnings(
    targets.map((m) => m.target),
    used,
  ))
    process.stderr.write(`${w}\n`);
  mkdirSync(values.output, { recursive: true });
  const { names, responses } = await generateAll(specs, prompts, gen, values.output);
  const report: EvalReportData = { models: names };
  if (values.criteria) {
    if (!built.backend) throw new UsageError("--criteria needs the GenRM judge (--base-url, --model)");
    report.criteria = await criteriaScores(built.backend, names, queries, prompts, responses);
  } else Object.assign(report, await pairwiseRatings(built.judge, names, prompts, responses, gen));
  built.close();
  writeFileSync(
    join(values.output, "summary.json"),
    `${JSON.stringify({ judge: built.describe(), ...(values.criteria ? { criteria_template_version: CRITERIA_TEMPLATE_VERSION } : {}), ...report }, null, 2)}\n`,
  );
  writeFileSync(join(values.output, "report.html"), renderEvalReport(report));
  printEval(report);
  console.log(`wrote ${join(values.output, "summary.json")} and report.html`);
  return 0;
}

/** The prompts (a prompts file, or criteria queries with their checklists); errors name the line. */
function readEvalInputs(path: string, criteria: boolean) {
  const text = readFileSync(path, "utf8");
  let queries: CriteriaQuery[] = [];
  let prompts: { id: string; prompt: string }[];
  try {
    if (criteria) {
      queries = text
        .split("\n")
        .map((l, i) => [l, i + 1] as const)
        .filter(([l]) => l.trim())
        .map(([l, i]) => parseCriteriaQuery(l, i));
      prompts = queries.map((q) => ({ id: q.id, prompt: q.query }));
    } else prompts = parsePromptsJsonl(text, path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { queries, prompts };
}

/** Every model's responses, written to OUTPUT/responses-NAME.jsonl as they come. */
async function generateAll(
  specs: string[],
  prompts: { id: string; prompt: string }[],
  gen: GenerateOptions,
  output: string,
): Promise<{ names: string[]; responses: string[][][] }> {
  const generators = await Promise.all(
    specs.map((s) => createGenerator(s, process.env.WZ_API_KEY ?? process.env.OPENAI_API_KEY)),
  );
  const names = generators.map((g) => g.name);
  if (new Set(names).size !== names.length)
    throw new UsageError(`--models: names must differ (${names.join(", ")})`);
  const responses: string[][][] = [];
  for (const g of generators) {
    process.stderr.write(`generating with ${g.name} ...\n`);
    const r = await g.generate(prompts, gen);
    responses.push(r);
    writeFileSync(
      join(output, `responses-${g.name}.jsonl`),
      prompts.flatMap((p, i) => r[i].map((response) => JSON.stringify({ id: p.id, response }))).join("\n") +
        "\n",
    );
  }
  return { names, responses };
}

/** Each response scored on each criterion of its query's checklist; failures counted, never scored. */
async function criteriaScores(
  backend: ChatBackend,
  names: string[],
  queries: CriteriaQuery[],
  prompts: { id: string; prompt: string }[],
  responses: string[][][],
): Promise<NonNullable<EvalReportData["criteria"]>> {
  const criteria: NonNullable<EvalReportData["criteria"]> = [];
  for (const [m, name] of names.entries()) {
    const progress = new Progress(`criteria ${name}`, prompts.length);
    const perCriterion = new Map<string, number[]>();
    let failed = 0;
    for (const [i, q] of queries.entries()) {
      for (const resp of responses[m][i]) {
        const scores = await Promise.all(
          q.checklist.map(async (c) => {
            const r = await backend.chat({
              messages: renderCriterionMessages(q.query, resp, c),
              sampling: { ...DEFAULT_JUDGE_SAMPLING, max_tokens: 1024 },
            });
            return {
              c,
              parsed: r.ok
                ? parseCriterionScore(r.text)
                : ({ ok: false, error: r.error, detail: r.detail } as const),
            };
          }),
        );
        for (const { c, parsed } of scores) {
          if (!parsed.ok) failed++;
          else perCriterion.set(c.name, [...(perCriterion.get(c.name) ?? []), parsed.score]);
        }
      }
      progress.tick();
    }
    progress.finish();
    const all = [...perCriterion.values()].flat();
    criteria.push({
      model: name,
      mean: mean(all),
      perCriterion: Object.fromEntries([...perCriterion].map(([k, xs]) => [k, mean(xs)])),
      failed,
    });
  }
  return criteria;
}

/** Every pair of models judged on the same prompts and samples: win rates and Bradley-Terry ratings. */
async function pairwiseRatings(
  judge: PairwiseJudge,
  names: string[],
  prompts: { id: string; prompt: string }[],
  responses: string[][][],
  gen: GenerateOptions,
): Promise<Pick<EvalReportData, "ratings" | "pairwise">> {
  const words = (s: string) => (s.match(/\S+/g) ?? []).length;
  const results: PairResult[] = [];
  const failedBy = new Map<string, number>();
  const pairs: [number, number][] = [];
  for (let a = 0; a < names.length; a++) for (let b = a + 1; b < names.length; b++) pairs.push([a, b]);
  const progress = new Progress("judging", pairs.length * prompts.length * gen.samples);
  for (const [a, b] of pairs) {
    const jobs: Promise<void>[] = [];
    prompts.forEach((p, i) => {
      for (let k = 0; k < gen.samples; k++) {
        const ra = responses[a][i][k];
        const rb = responses[b][i][k];
        jobs.push(
          judge.compare(p.prompt, ra, rb).then((verdict) => {
            progress.tick();
            if (verdict.outcome === "failed") {
              failedBy.set(`${a}-${b}`, (failedBy.get(`${a}-${b}`) ?? 0) + 1);
              return;
            }
            const scoreA = verdict.outcome === "a" ? 1 : verdict.outcome === "b" ? 0 : 0.5;
            results.push({ a, b, scoreA, lengthDiff: words(ra) - words(rb) });
          }),
        );
      }
    });
    await Promise.all(jobs);
  }
  progress.finish();
  const ratings = bradleyTerry(names.length, results);
  const boot = bootstrapRatings(names.length, results, 200, mulberry32(gen.seed + 1));
  const ratingRows = names
    .map((model, i) => ({ model, rating: ratings[i], lo: boot.lo[i], hi: boot.hi[i] }))
    .sort((x, y) => y.rating - x.rating);
  const pairwise = pairs.map(([a, b]) => {
    const mine = results.filter((r) => r.a === a && r.b === b);
    const score = mine.reduce((s, r) => s + r.scoreA, 0);
    return {
      a: names[a],
      b: names[b],
      winRate: mine.length ? score / mine.length : null,
      ci: mine.length ? wilson(score, mine.length) : null,
      lengthControlled: lengthControlledWinRate(mine),
      n: mine.length,
      failed: failedBy.get(`${a}-${b}`) ?? 0,
    };
  });
  return { ratings: ratingRows, pairwise };
}

function printEval(report: EvalReportData): void {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : x.toFixed(3));
  for (const p of report.pairwise ?? []) {
    console.log(
      `${p.a} vs ${p.b}: win rate ${f(p.winRate)} [${p.ci ? `${f(p.ci[0])}, ${f(p.ci[1])}` : "n/a"}], length-controlled ${f(p.lengthControlled)}, ${p.n} pairs, ${p.failed} failed`,
    );
  }
  for (const r of report.ratings ?? [])
    console.log(`rating ${r.model}: ${r.rating.toFixed(0)} [${r.lo.toFixed(0)}, ${r.hi.toFixed(0)}]`);
  for (const c of report.criteria ?? [])
    console.log(
      `criteria ${c.model}: mean ${f(c.mean)}; ${Object.entries(c.perCriterion)
        .map(([k, x]) => `${k} ${f(x)}`)
        .join("; ")}; ${c.failed} failed`,
    );
}
