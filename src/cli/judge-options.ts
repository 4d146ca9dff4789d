// The flags that pick and configure a judge, shared by `wz judge`, `wz serve` and the eval commands.
import type { ParseArgsConfig } from "node:util";
import { TEMPLATE_NAMES, type TemplateName, templateNamed } from "../judge/template.ts";
import {
  createJudge,
  GOLD_REFUSAL,
  isGoldName,
  isJudgeKind,
  JUDGE_KIND_NAMES,
} from "../recipes/judges/index.ts";
import type { BuiltJudge } from "../recipes/judges/spec.ts";
import { UsageError } from "./errors.ts";
import { numberFlag } from "./flags.ts";

export const JUDGE_FLAGS = {
  judge: { type: "string", default: "genrm" },
  "base-url": { type: "string", multiple: true },
  gguf: { type: "string" },
  "reward-model": { type: "string" },
  "no-grammar": { type: "boolean", default: false },
  model: { type: "string" },
  "api-key-env": { type: "string", default: "WZ_API_KEY" },
  votes: { type: "string", default: "1" },
  concurrency: { type: "string", default: "16" },
  rpm: { type: "string" },
  tpm: { type: "string" },
  timeout: { type: "string", default: "120" },
  "max-retries": { type: "string", default: "4" },
  "retry-window": { type: "string", default: "60" },
  "parse-retries": { type: "string", default: "1" },
  temperature: { type: "string" },
  "max-tokens": { type: "string", default: "2048" },
  seed: { type: "string", default: "0" },
  principles: { type: "string" },
  cache: { type: "string", default: ".wz-cache/judge.sqlite" },
  "no-cache": { type: "boolean", default: false },
  template: { type: "string" },
} satisfies ParseArgsConfig["options"];

export const JUDGE_FLAGS_HELP = `Judge options:
  --judge genrm|rules|rm   genrm: the pairwise GenRM on an OpenAI-compatible server (default);
                           rules: the rule-based pairwise judge (no model needed);
                           rm: a scalar reward model, the higher reward wins (--reward-model DIR,
                           or --base-url and --model for vLLM's pooling API)
  --reward-model DIR       with --judge rm: a folder written by wz train-rm
  --base-url URL           OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; repeat to
                           spread requests over replicas (default $WZ_BASE_URL)
  --model NAME             model name sent to the server (default $WZ_MODEL)
  --gguf FILE              run the GenRM on a local GGUF through llama.cpp instead of a server
                           (its final line is constrained by a grammar when its own is malformed)
  --no-grammar             with --gguf: no grammar; a malformed verdict counts as a format failure
  --api-key-env VAR        environment variable holding the API key (default WZ_API_KEY,
                           then OPENAI_API_KEY)
  --votes N                votes per presentation order (default 1; both orders always run)
  --concurrency K          requests in flight at most (default 16)
  --rpm N, --tpm N         requests / tokens per minute budgets (default none)
  --timeout S              seconds per request (default 120)
  --max-retries N          retries on 429, 5xx, timeouts and network errors (default 4; 0: none)
  --retry-window S         keep retrying those for at least S seconds, past --max-retries, to ride
                           out a short outage of the server (default 60; 0: off)
  --parse-retries N        new attempts when a reply cannot be parsed (default 1)
  --temperature T, --max-tokens N, --seed S   judge sampling (defaults: temperature 0 with one
                           vote, 0.6 with --votes > 1 so that votes are independent; 2048; 0)
  --principles FILE        YAML or JSON principles replacing (or, with extend: true, adding to)
                           the defaults
  --cache FILE             reply cache (default .wz-cache/judge.sqlite)
  --no-cache               neither read nor write the cache
  --template full|compact  the GenRM prompt: full (criteria, critique, scores; default) or
                           compact (for small trained judges); a GGUF trained by wz genrm
                           records its template and is used with it unless this flag says otherwise`;

type JudgeFlagValues = { [K in keyof typeof JUDGE_FLAGS]?: string | string[] | boolean };

/** The judge the flags describe; a bad description (a missing file, a bad principles file) is a usage error. */
export function buildJudge(values: JudgeFlagValues): BuiltJudge {
  try {
    return buildJudgeOrThrow(values);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

function buildJudgeOrThrow(values: JudgeFlagValues): BuiltJudge {
  const kind = values.judge as string;
  if (isGoldName(kind)) throw new UsageError(`--judge: ${GOLD_REFUSAL}`);
  if (!isJudgeKind(kind))
    throw new UsageError(
      `--judge: expected ${JUDGE_KIND_NAMES.map((k) => `"${k}"`).join(", ")}, got "${kind}"`,
    );
  if (kind === "rules") return createJudge({ kind });
  if (kind === "rm") {
    const rewardModel = values["reward-model"] as string | undefined;
    const baseUrls = values["base-url"] as string[] | undefined;
    if (!rewardModel && !(baseUrls?.length && values.model))
      throw new UsageError(
        "--judge rm needs --reward-model DIR, or --base-url and --model (vLLM's pooling API)",
      );
    return createJudge({
      kind,
      rewardModel,
      baseUrls,
      model: values.model as string | undefined,
      apiKey: process.env[values["api-key-env"] as string] ?? process.env.OPENAI_API_KEY,
    });
  }
  const v = values as Record<string, unknown>;
  const common = {
    kind,
    votes: numberFlag(v, "votes", { int: true, min: 1 }),
    parseRetries: numberFlag(v, "parse-retries", { int: true, min: 0 }),
    temperature: numberFlag(v, "temperature", { min: 0 }),
    maxTokens: numberFlag(v, "max-tokens", { int: true, min: 1 }),
    seed: numberFlag(v, "seed", { int: true }),
    principlesFile: values.principles as string | undefined,
    cache: values["no-cache"] ? null : (values.cache as string),
    template: templateFlag(values.template as string | undefined),
  } as const;
  if ((common.votes ?? 1) > 1 && common.temperature === 0) {
    process.stderr.write(
      "wz: note: --votes > 1 with --temperature 0 asks the same question twice; raise the temperature for independent votes\n",
    );
  }
  if (values.gguf)
    return createJudge({ ...common, gguf: values.gguf as string, grammar: !values["no-grammar"] });
  const baseUrls =
    (values["base-url"] as string[] | undefined) ??
    (process.env.WZ_BASE_URL ? [process.env.WZ_BASE_URL] : []);
  if (baseUrls.length === 0)
    throw new UsageError("--base-url is required for the GenRM judge (or set WZ_BASE_URL, or --gguf)");
  const model = (values.model as string | undefined) ?? process.env.WZ_MODEL;
  if (!model) throw new UsageError("--model is required for the GenRM judge (or set WZ_MODEL)");
  return createJudge({
    ...common,
    baseUrls,
    model,
    apiKey: process.env[values["api-key-env"] as string] ?? process.env.OPENAI_API_KEY,
    concurrency: numberFlag(v, "concurrency", { int: true, min: 1 }),
    requestsPerMinute: numberFlag(v, "rpm", { min: 1 }),
    tokensPerMinute: numberFlag(v, "tpm", { min: 1 }),
    timeoutMs: numberFlag(v, "timeout", { min: 0.001 })! * 1000,
    maxRetries: numberFlag(v, "max-retries", { int: true, min: 0 }),
    retryWindowMs: numberFlag(v, "retry-window", { min: 0 })! * 1000,
  });
}

function templateFlag(raw: string | undefined): TemplateName | undefined {
  if (raw === undefined) return undefined;
  const name = templateNamed(raw);
  if (!name)
    throw new UsageError(
      `--template: expected ${TEMPLATE_NAMES.map((n) => `"${n}"`).join(" or ")}, got "${raw}"`,
    );
  return name;
}
