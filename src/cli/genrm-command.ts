// `wz genrm`: train a pairwise GenRM, the paper's first half.
//   wz genrm pairs   tiny-world labelled pairs (the gold plays the human labeller)
//   wz genrm traces  a teacher judge critiques labelled pairs; only traces right in both orders
//                    are kept (rejection sampling); SFT rows {"messages": [...]}
//   wz genrm train   the whole recipe from one config: pairs -> traces -> cold-start SFT -> RLVR
//                    (GRPO on the GenRM reward, dynamic sampling) -> held-out evaluation of the
//                    SFT-only judge and the RLVR judge, both through llama.cpp like `wz judge --gguf`
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TEMPLATE_NAMES, templateNamed } from "../judge/template.ts";
import { selectKernel } from "../model/kernels/select.ts";
import { parseGenRMConfig } from "../recipes/genrm/config.ts";
import { readPairs } from "../recipes/genrm/pairs.ts";
import { runGenRM } from "../recipes/genrm/run.ts";
import { judgeTeacher, makeTraces, type Teacher, tinyTeacher } from "../recipes/genrm/traces.ts";
import { makeIndependentPairs } from "../world/independent-pairs.ts";
import { makeJudgePairs } from "../world/tiny-judge-data.ts";
import { UsageError } from "./errors.ts";
import { numberOf } from "./flags.ts";
import { buildJudge, JUDGE_FLAGS, JUDGE_FLAGS_HELP } from "./judge-options.ts";

export const GENRM_HELP = `wz genrm pairs --tiny N --output FILE [--split train|eval] [--seed S] [--minimal-share X] [--taste-share X]
    [--independent]
wz genrm traces --input PAIRS.jsonl --output SFT.jsonl [--teacher tiny | judge options]
    [--template compact|full]
wz genrm train CONFIG.yaml [--output DIR]

pairs:  labelled pairs from the tiny world ({"id","prompt","response_a","response_b","label"}):
        base-model-like responses and the bad kinds policies produce (word salad, off-topic,
        repetition, commentary, over-long, missing word), labelled by the world's gold judge.
        --split train draws prompts pretraining saw; eval, prompts no training stage sees.
        --minimal-share X: that share of the pairs are minimal pairs, a sentence that meets the
        request against its twin with one fact changed (another word, another topic, no word).
        --taste-share X: that share are taste pairs, the word beside a scene of its own mood
        against the same word beside a scene of the other (docs/taste.md).
        --independent: N pairs of each kind built apart from the training generator, on
        held-out prompts (over-long, off-topic, repetition, commentary, late word, taste), each
        row with its kind: wz genrm-eval reports accuracy by kind.
traces: a teacher judge critiques each pair in both orders; a pair's traces are kept only when
        both orders prefer the labelled response (rejection sampling). --teacher tiny writes
        templated critiques as a general critic reads the tiny world (the request, grammar,
        commentary, repetition and a taste of its own; never the gold); otherwise the judge options pick any
        backend (an OpenAI-compatible server, --gguf). Rows are {"messages": [user, assistant]},
        rendered by the same template as inference, ready for wz finetune.
train:  the recipe end to end (examples/tiny-genrm/config.yaml); prints the held-out accuracy,
        consistency and first-position rate of the SFT-only and the RLVR judge. The judge lands
        in DIR/judge.gguf with its template recorded, for wz judge --gguf, judge.gguf in wz train
        and wz serve. With "trainer: {kind: tinker, base_url, model}" in the config, SFT and RLVR
        run on a Tinker-compatible service and the judge is downloaded (docs/tinker.md).

${JUDGE_FLAGS_HELP}`;

export async function genrmCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    console.log(GENRM_HELP);
    return sub ? 0 : 2;
  }
  if (sub === "pairs") return pairsCommand(rest);
  if (sub === "traces") return tracesCommand(rest);
  if (sub === "train") return trainGenRMCommand(rest);
  throw new UsageError(`wz genrm: unknown subcommand "${sub}" (pairs, traces, train)`);
}

function pairsCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      tiny: { type: "string" },
      split: { type: "string", default: "train" },
      seed: { type: "string", default: "1" },
      "minimal-share": { type: "string", default: "0" },
      "taste-share": { type: "string", default: "0" },
      independent: { type: "boolean", default: false },
      output: { type: "string" },
    },
  });
  if (!values.tiny || !values.output) throw new UsageError("usage: wz genrm pairs --tiny N --output FILE");
  if (values.independent) {
    const pairs = makeIndependentPairs(
      numberOf(values, "tiny", { int: true, min: 1 }),
      numberOf(values, "seed", { int: true }),
    );
    writeFileSync(values.output, pairs.map((p) => JSON.stringify(p)).join("\n") + "\n");
    console.log(`wrote ${pairs.length} independently built held-out pairs to ${values.output}`);
    return 0;
  }
  const minimalShare = numberOf(values, "minimal-share", { min: 0, max: 1 });
  const tasteShare = numberOf(values, "taste-share", { min: 0, max: 1 });
  const split = values.split === "eval" ? "eval" : values.split === "train" ? "pretrain" : null;
  if (!split) throw new UsageError(`--split: expected train or eval, got "${values.split}"`);
  const pairs = makeJudgePairs(
    numberOf(values, "tiny", { int: true, min: 1 }),
    numberOf(values, "seed", { int: true }),
    split,
    { minimalShare, tasteShare },
  );
  writeFileSync(values.output, pairs.map((p) => JSON.stringify(p)).join("\n") + "\n");
  console.log(`wrote ${pairs.length} labelled pairs to ${values.output}`);
  return 0;
}

async function tracesCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...JUDGE_FLAGS,
      input: { type: "string" },
      output: { type: "string" },
      teacher: { type: "string" },
    },
  });
  if (!values.input || !values.output)
    throw new UsageError("usage: wz genrm traces --input PAIRS.jsonl --output SFT.jsonl");
  const template = templateNamed(values.template ?? "compact");
  if (!template)
    throw new UsageError(`--template: expected ${TEMPLATE_NAMES.join(" or ")}, got "${values.template}"`);
  const pairs = readPairs(values.input);
  if (pairs.some((p) => !p.label))
    throw new UsageError(`${values.input}: every pair needs a label for traces`);
  let teacher: Teacher;
  let close = () => {};
  if (values.teacher === "tiny") teacher = tinyTeacher();
  else {
    if (values.teacher !== undefined) throw new UsageError(`--teacher: expected "tiny" or judge options`);
    const built = buildJudge({ ...values, template });
    close = () => built.close();
    teacher = judgeTeacher(built.judge);
  }
  const t = await makeTraces(pairs, teacher, template);
  close();
  writeFileSync(values.output, t.rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  console.log(
    `teacher ${teacher.name}: ${t.kept} of ${pairs.length} pairs kept (right in both orders), ${t.rejected} rejected, ${t.failed} failed; ${t.rows.length} SFT rows in ${values.output}`,
  );
  return 0;
}

async function trainGenRMCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: "string" },
      kernel: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(GENRM_HELP);
    return 0;
  }
  if (!positionals[0]) throw new UsageError("usage: wz genrm train CONFIG.yaml");
  const config = parseGenRMConfig(positionals[0]);
  const out = values.output ?? config.output;
  if (existsSync(join(out, "summary.json")))
    throw new UsageError(`${out} already holds a finished GenRM run; choose another --output`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const kernel = await selectKernel(values.kernel as string);
  return runGenRM(config, { out, origin: positionals[0], kernel, log });
}
