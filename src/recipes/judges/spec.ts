// What every judge kind's declaration shares: the plain description a judge is built from (a
// config's judge block or the CLI's flags), and what building one gives back.

import type { PlausibilityOptions } from "../../judge/plausibility.ts";
import type { TemplateName } from "../../judge/template.ts";
import type { PairwiseJudge } from "../../judge/types.ts";
import type { OpenAICompatibleBackend } from "../../llm/openai-compatible.ts";
import type { ComputeBackend } from "../../model/kernels/types.ts";

/** The judge's temperature when votes > 1 and none is given: votes must be able to differ. */
export const VOTING_TEMPERATURE = 0.6;

/** GGUF metadata key where a trained judge records its template. */
export const JUDGE_TEMPLATE_KEY = "writing_zero.judge_template";

export interface JudgeSpec {
  kind: string;
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
  /** A local GGUF: requests judged side by side in one llama.cpp context (default 1). */
  parallel?: number;
  /** A local GGUF: llama.cpp (default) or our own engine's batched greedy decoding. */
  runtime?: "llama.cpp" | "engine";
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

/** A config's judge fields that decide whether a kind can be built (checked when the file is read). */
export interface JudgeFields {
  gguf?: string;
  base_url?: string | string[];
  model?: string;
  reward_model?: string;
}

/** One judge kind, declared once: the registry (index.ts) derives every list of kinds from these. */
export interface JudgeKindSpec {
  name: string;
  /** One line for --help and errors. */
  description: string;
  /** The reason a config's judge block cannot build this kind (names the keys), or null. */
  check(fields: JudgeFields): string | null;
  build(spec: JudgeSpec): BuiltJudge;
}
