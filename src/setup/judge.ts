// Assembles a judge from a plain description: the one place that joins the pure judge with an
// HTTP backend and the SQLite cache. `wz judge`, `wz serve` and `wz train` all build judges here.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { GenRMJudge } from "../judge/genrm.ts";
import { DEFAULT_PRINCIPLE_SET, parsePrinciples } from "../judge/principles.ts";
import { RuleJudge } from "../judge/rule-judge.ts";
import { ScalarRewardJudge } from "../judge/scalar-judge.ts";
import type { TemplateName } from "../judge/template.ts";
import type { PairwiseJudge } from "../judge/types.ts";
import { LlamaCppChatBackend } from "../llm/llama-judge-backend.ts";
import { OpenAICompatibleBackend } from "../llm/openai-compatible.ts";
import type { ChatBackend } from "../llm/types.ts";
import { VllmPoolingScorer } from "../llm/vllm-pooling.ts";
import { loadModelFolder, loadTokenizer } from "../model/checkpoint.ts";
import { readGgufHeader } from "../model/gguf.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import { loadRewardModel } from "../model/reward-model.ts";
import type { JudgeConfig } from "../rl/config.ts";
import { chatSequence } from "../rl/data.ts";
import { SqliteReplyCache } from "../store/judge-cache.ts";
import { type PlausibilityOptions, plausibilityCheck } from "./plausibility.ts";

/** The judge's temperature when votes > 1 and none is given: votes must be able to differ. */
export const VOTING_TEMPERATURE = 0.6;

/** GGUF metadata key where a trained judge records its template. */
export const JUDGE_TEMPLATE_KEY = "writing_zero.judge_template";

export interface JudgeSpec {
  kind: "genrm" | "rules" | "rm";
  /** kind rm: a reward model folder (else baseUrls + model: vLLM's pooling API). */
  rewardModel?: string;
  /** A local GGUF judge model run through llama.cpp, instead of an OpenAI-compatible server. */
  gguf?: string;
  /** With gguf: write the final line under a grammar when the judge's own is malformed (default true). */
  grammar?: boolean;
  baseUrls?: string[];
  model?: string;
  apiKey?: string;
  votes?: number;
  concurrency?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** Keep retrying a failing server for at least this long (an outage window). */
  retryWindowMs?: number;
  parseRetries?: number;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  principlesFile?: string;
  /** SQLite reply cache path; null for no cache. */
  cache?: string | null;
  /** GenRM prompt: "full" or "compact"; default: a GGUF's recorded judge template, else "full". */
  template?: TemplateName;
  /** Rule-based judge: the plausibility principle under a frozen model folder. */
  plausibility?: PlausibilityOptions & { model: string };
  /** The matmul kernel for a model the judge runs itself (the plausibility model); default reference. */
  kernel?: ComputeBackend;
}

export interface BuiltJudge {
  judge: PairwiseJudge;
  /** The scalar scorer for GRPO-style estimators (the rule-based judge and scalar reward models). */
  scorer?: (prompt: string, response: string) => number | null | Promise<number | null>;
  backend?: OpenAICompatibleBackend;
  /** The same judge with another vote count (GenRM; the rule-based judge is deterministic). */
  withVotes?: (votes: number) => PairwiseJudge;
  close(): void;
  describe(): string;
}

/** The judge block of a config file (wz train, wz serve --judge-config) as a JudgeSpec. */
export function judgeSpecFromConfig(j: JudgeConfig, defaultPlausibilityModel?: string): JudgeSpec {
  return {
    kind: j.kind,
    rewardModel: j.reward_model,
    gguf: j.gguf,
    baseUrls: j.base_url === undefined ? undefined : [j.base_url].flat(),
    model: j.model,
    apiKey: process.env[j.api_key_env] ?? process.env.OPENAI_API_KEY,
    votes: j.votes,
    concurrency: j.concurrency,
    timeoutMs: j.timeout_s * 1000,
    maxRetries: j.max_retries,
    retryWindowMs: j.retry_window_s * 1000,
    temperature: j.temperature,
    maxTokens: j.max_tokens,
    principlesFile: j.principles,
    cache: j.cache,
    template: j.template,
    plausibility:
      j.plausibility === undefined
        ? undefined
        : { ...j.plausibility, model: j.plausibility.model ?? defaultPlausibilityModel ?? "" },
  };
}

export function createJudge(spec: JudgeSpec): BuiltJudge {
  if (spec.kind === "rm") return scalarRewardJudge(spec);
  if (spec.kind === "rules") {
    const extra = [];
    if (spec.plausibility) {
      const { model: dir, ...options } = spec.plausibility;
      if (!dir) throw new Error("judge.plausibility needs a model folder (judge.plausibility.model)");
      if (!existsSync(dir)) throw new Error(`judge.plausibility.model: ${dir} does not exist`);
      const { model, tokenizer } = loadModelFolder(dir, spec.kernel);
      if (!tokenizer) throw new Error(`judge.plausibility.model: ${dir} has no tokenizer.json`);
      extra.push(plausibilityCheck(model, tokenizer, options));
    }
    const judge = new RuleJudge(extra);
    return {
      judge,
      scorer: (p, r) => judge.scoreAsync(p, r),
      close() {},
      describe: () =>
        spec.plausibility
          ? `${judge.name} (plausibility under ${spec.plausibility.model}, weight ${spec.plausibility.weight}, threshold ${spec.plausibility.threshold})`
          : judge.name,
    };
  }
  const gguf = spec.gguf;
  if (gguf) {
    if (!existsSync(gguf)) throw new Error(`judge GGUF ${gguf} does not exist`);
    // A judge trained by `wz genrm` records the template it learned; use it unless told otherwise.
    const recorded = readGgufHeader(gguf).metadata.get(JUDGE_TEMPLATE_KEY);
    if (spec.template === undefined && (recorded === "compact" || recorded === "full"))
      spec = { ...spec, template: recorded };
    const grammar = spec.grammar ?? true;
    const backend = new LlamaCppChatBackend(gguf, { grammar });
    const how = grammar ? "llama.cpp, final line constrained by a grammar" : "llama.cpp, no grammar";
    return genrm(spec, backend, how, () => void backend.close());
  }
  const baseUrls = spec.baseUrls ?? [];
  if (baseUrls.length === 0) {
    throw new Error(
      "the GenRM judge needs a base URL (--base-url, WZ_BASE_URL or judge.base_url) or a local --gguf",
    );
  }
  if (!spec.model) throw new Error("the GenRM judge needs a model name (--model, WZ_MODEL or judge.model)");
  const backend = new OpenAICompatibleBackend({
    baseUrls,
    model: spec.model,
    apiKey: spec.apiKey,
    concurrency: spec.concurrency,
    requestsPerMinute: spec.requestsPerMinute,
    tokensPerMinute: spec.tokensPerMinute,
    timeoutMs: spec.timeoutMs,
    maxRetries: spec.maxRetries,
    retryWindowMs: spec.retryWindowMs,
  });
  return { ...genrm(spec, backend, baseUrls.join(", "), () => {}), backend };
}

/** The GenRM over any chat backend, with the principles, sampling and cache the spec names. */
function genrm(spec: JudgeSpec, backend: ChatBackend, where: string, closeBackend: () => void): BuiltJudge {
  const principles = spec.principlesFile
    ? parsePrinciples(readFileSync(spec.principlesFile, "utf8"), spec.principlesFile)
    : DEFAULT_PRINCIPLE_SET;
  let cache: SqliteReplyCache | undefined;
  if (spec.cache) {
    mkdirSync(dirname(spec.cache), { recursive: true });
    cache = new SqliteReplyCache(spec.cache);
  }
  const make = (votes: number | undefined) =>
    new GenRMJudge({
      backend,
      principles,
      votes,
      parseRetries: spec.parseRetries,
      sampling: {
        // Voting@n needs independent votes: sampled, unless the caller pinned a temperature.
        temperature: spec.temperature ?? ((votes ?? 1) > 1 ? VOTING_TEMPERATURE : 0),
        top_p: 1,
        max_tokens: spec.maxTokens ?? 2048,
        seed: spec.seed ?? 0,
      },
      cache,
      template: spec.template,
    });
  const judge = make(spec.votes);
  return {
    judge,
    withVotes: make,
    close: () => {
      cache?.close();
      closeBackend();
    },
    describe: () =>
      `${judge.name} via ${where} (template ${judge.templateVersion}, votes ${judge.votes}, principles ${principles.hash}${cache ? `, cache ${spec.cache}` : ", no cache"})`,
  };
}

/** A scalar reward model (a local folder, or vLLM's pooling API) as a scorer and a pairwise judge. */
function scalarRewardJudge(spec: JudgeSpec): BuiltJudge {
  let score: (prompt: string, response: string) => Promise<number | null>;
  let name: string;
  let failures = () => 0;
  if (spec.rewardModel) {
    if (!existsSync(spec.rewardModel))
      throw new Error(`judge.reward_model: ${spec.rewardModel} does not exist`);
    const rm = loadRewardModel(spec.rewardModel, spec.kernel);
    const tokenizer = loadTokenizer(spec.rewardModel);
    name = `rm:${spec.rewardModel}`;
    score = async (prompt, response) => rm.reward(chatSequence(tokenizer, prompt, response).tokens);
  } else {
    const baseUrl = spec.baseUrls?.[0];
    if (!baseUrl || !spec.model)
      throw new Error("a reward model needs judge.reward_model, or base_url and model");
    const remote = new VllmPoolingScorer({
      baseUrl,
      model: spec.model,
      apiKey: spec.apiKey,
      timeoutMs: spec.timeoutMs,
    });
    name = remote.name;
    score = (prompt, response) => remote.score(prompt, response);
    failures = () => remote.failures;
  }
  const judge = new ScalarRewardJudge(name, score);
  return {
    judge,
    scorer: score,
    close() {},
    describe: () => `${name} (scalar reward${failures() ? `, ${failures()} failed scores` : ""})`,
  };
}
