// A config's judge block (wz train's judge: and eval.judge:, wz serve --judge-config), validated
// with zod; the kind's own requirements are checked by its declaration in the registry.
import { z } from "zod";
import { formatIssues, readYaml } from "../../data/config-file.ts";
import { TEMPLATE_NAMES } from "../../judge/template.ts";
import { JUDGE_KIND_NAMES, JUDGES, judgeKindError } from "./index.ts";
import type { JudgeKindSpec, JudgeSpec } from "./spec.ts";

export const JudgeConfigSchema = z
  .object({
    /** rules, genrm (pairwise), or rm: a scalar reward model (reward_model folder, or base_url + model on vLLM's pooling API). */
    kind: z.enum(JUDGE_KIND_NAMES, { error: judgeKindError }).default("rules"),
    /** kind rm: a reward model folder written by wz train-rm (or any one-label *ForSequenceClassification). */
    reward_model: z.string().optional(),
    base_url: z.union([z.string(), z.array(z.string())]).optional(),
    gguf: z.string().optional(),
    model: z.string().optional(),
    api_key_env: z.string().default("WZ_API_KEY"),
    votes: z.number().int().positive().default(1),
    concurrency: z.number().int().positive().default(16),
    /**
     * A local GGUF judge: requests judged side by side as sequences of one llama.cpp context, their
     * tokens evaluated in shared batches (default 1, one at a time). Set concurrency at least as high.
     */
    parallel: z.number().int().positive().default(1),
    /**
     * A local GGUF: "llama.cpp" (default), or "engine": our own engine decodes every request of a
     * step at once, greedily (judge.temperature 0; see docs/performance.md).
     */
    runtime: z.enum(["llama.cpp", "engine"]).default("llama.cpp"),
    timeout_s: z.number().positive().default(120),
    max_retries: z.number().int().nonnegative().default(4),
    /** Keep retrying 429/5xx/timeouts for at least this many seconds (rides out short outages; 0: off). */
    retry_window_s: z.number().nonnegative().default(60),
    /** Default: 0 with one vote, 0.6 with votes > 1 (independent votes). */
    temperature: z.number().nonnegative().optional(),
    max_tokens: z.number().int().positive().default(2048),
    principles: z.string().optional(),
    cache: z.string().default(".wz-cache/judge.sqlite"),
    /** GenRM prompt: full or compact; default: a GGUF's recorded template, else full. */
    template: z.enum(TEMPLATE_NAMES).optional(),
    /**
     * Rule-based judge only: add the plausibility principle, no token the frozen model (a model
     * folder; in wz train by default the run's initial policy) finds below `threshold` nats.
     */
    plausibility: z
      .object({
        model: z.string().optional(),
        weight: z.number().positive().default(3),
        threshold: z.number().negative().default(-6),
        penalty: z.number().positive().max(1).default(0.5),
      })
      .strict()
      .optional(),
  })
  .strict();

export type JudgeConfig = z.infer<typeof JudgeConfigSchema>;

/** The kind's own requirements (e.g. a GenRM needs a server or a GGUF); the error names the keys. */
export function checkJudge(j: JudgeConfig, origin: string): void {
  const problem = (JUDGES[j.kind] as JudgeKindSpec).check(j);
  if (problem) throw new Error(`${origin}: judge: ${problem}`);
}

/** A judge block on its own (for `wz serve --judge-config`): the `judge:` of a file, or the file itself. */
export function parseJudgeConfig(source: string, origin = "judge config"): JudgeConfig {
  const doc = readYaml(source, origin);
  const block = doc && typeof doc === "object" && "judge" in doc ? (doc as { judge: unknown }).judge : doc;
  const result = JudgeConfigSchema.safeParse(block);
  if (!result.success) throw new Error(formatIssues(result.error, `${origin}: judge`));
  checkJudge(result.data, origin);
  return result.data;
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
    parallel: j.parallel,
    runtime: j.runtime,
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
