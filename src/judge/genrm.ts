// The pairwise generative reward model: renders the critique prompt for every voting condition
// (both orders x votes), asks a chat backend, parses the final line, and decides the outcome.
// Pure of I/O itself: the backend and the cache are handed in.
import { createHash } from "node:crypto";
import { type ChatBackend, DEFAULT_JUDGE_SAMPLING, type SamplingParams, type Usage } from "../llm/types.ts";
import { DEFAULT_PRINCIPLE_SET, type PrincipleSet } from "./principles.ts";
import { renderTemplate, type TemplateName, templateVersionOf } from "./template.ts";
import {
  type Condition,
  decideOutcome,
  meanScores,
  type Order,
  type PairwiseJudge,
  type Verdict,
  winnerOf,
} from "./types.ts";
import { parseVerdict } from "./verdict-parser.ts";

/** What the cache keeps of a successful condition (failures are never cached). */
export interface CachedReply {
  raw: string;
  usage: Usage | null;
  latencyMs: number;
}

export interface ReplyCache {
  get(key: string): CachedReply | undefined;
  set(key: string, value: CachedReply): void;
}

export interface GenRMOptions {
  backend: ChatBackend;
  principles?: PrincipleSet;
  /** Votes per presentation order (the paper's Voting@n); default 1. */
  votes?: number;
  sampling?: SamplingParams;
  /** Extra attempts when a reply cannot be parsed; default 1. */
  parseRetries?: number;
  cache?: ReplyCache;
  /** "full" (default): the self-principled critique prompt; "compact": for small trained judges. */
  template?: TemplateName;
}

export interface ConditionKeyParts {
  model: string;
  templateVersion: string;
  principlesHash: string;
  prompt: string;
  first: string;
  second: string;
  order: Order;
  vote: number;
  sampling: SamplingParams;
}

/** Everything that determines a condition's reply, and nothing else (no base URL: replicas share). */
export function conditionKey(parts: ConditionKeyParts): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

export class GenRMJudge implements PairwiseJudge {
  readonly name: string;
  readonly votes: number;
  readonly sampling: SamplingParams;
  readonly principles: PrincipleSet;
  private readonly backend: ChatBackend;
  private readonly parseRetries: number;
  private readonly cache?: ReplyCache;
  readonly template: TemplateName;
  readonly templateVersion: string;

  constructor(options: GenRMOptions) {
    this.template = options.template ?? "full";
    this.templateVersion = templateVersionOf(this.template);
    this.backend = options.backend;
    this.principles = options.principles ?? DEFAULT_PRINCIPLE_SET;
    this.votes = options.votes ?? 1;
    if (!Number.isInteger(this.votes) || this.votes < 1) throw new Error(`votes must be a positive integer`);
    this.sampling = options.sampling ?? DEFAULT_JUDGE_SAMPLING;
    this.parseRetries = options.parseRetries ?? 1;
    this.cache = options.cache;
    this.name = `genrm:${this.backend.model}`;
  }

  async compare(prompt: string, responseA: string, responseB: string): Promise<Verdict> {
    const jobs: Promise<Condition>[] = [];
    for (let vote = 0; vote < this.votes; vote++) {
      for (const order of ["ab", "ba"] as const)
        jobs.push(this.runCondition(prompt, responseA, responseB, order, vote));
    }
    const conditions = await Promise.all(jobs);
    return {
      outcome: decideOutcome(conditions),
      ...meanScores(conditions),
      conditions,
      templateVersion: this.templateVersion,
      principlesHash: this.principles.hash,
      model: this.backend.model,
      sampling: this.sampling,
      lengthA: responseA.length,
      lengthB: responseB.length,
    };
  }

  private async runCondition(
    prompt: string,
    a: string,
    b: string,
    order: Order,
    vote: number,
  ): Promise<Condition> {
    const [first, second] = order === "ab" ? [a, b] : [b, a];
    // Votes differ by seed so that sampled judges give independent opinions.
    const sampling = { ...this.sampling, seed: this.sampling.seed + vote };
    // The key is a hash of the whole prompt: only worth computing when there is a cache to ask.
    const key = !this.cache
      ? ""
      : conditionKey({
          model: this.backend.model,
          templateVersion: this.templateVersion,
          principlesHash: this.principles.hash,
          prompt,
          first,
          second,
          order,
          vote,
          sampling,
        });
    const base = { order, vote };
    const hit = this.cache?.get(key);
    if (hit) {
      const parsed = parseVerdict(hit.raw);
      if (parsed.ok)
        return this.success(base, parsed.first, parsed.second, hit.raw, hit.latencyMs, hit.usage, 0, true);
    }

    const messages = renderTemplate(this.template, { prompt, first, second }, this.principles);
    let attempts = 0;
    let last: Condition | null = null;
    for (let parseTry = 0; parseTry <= this.parseRetries; parseTry++) {
      const result = await this.backend.chat({ messages, sampling });
      attempts += result.attempts;
      if (!result.ok) {
        // The backend already retried what is worth retrying: a call failure ends the condition.
        return failure(base, result.error, result.detail, null, result.latencyMs, null, attempts);
      }
      const parsed = parseVerdict(result.text, result.finishReason);
      if (parsed.ok) {
        // A cut critique is not cached: with a larger token limit it deserves its whole answer.
        if (!result.cut)
          this.cache?.set(key, { raw: result.text, usage: result.usage, latencyMs: result.latencyMs });
        const condition = this.success(
          base,
          parsed.first,
          parsed.second,
          result.text,
          result.latencyMs,
          result.usage,
          attempts,
        );
        return result.cut ? { ...condition, cut: true } : condition;
      }
      last = failure(
        base,
        parsed.error,
        parsed.detail,
        result.text,
        result.latencyMs,
        result.usage,
        attempts,
      );
    }
    return last!;
  }

  private success(
    base: { order: Order; vote: number },
    firstScore: number,
    secondScore: number,
    raw: string,
    latencyMs: number,
    usage: Usage | null,
    attempts: number,
    cached = false,
  ): Condition {
    const [scoreA, scoreB] = base.order === "ab" ? [firstScore, secondScore] : [secondScore, firstScore];
    return {
      ...base,
      scoreA,
      scoreB,
      winner: winnerOf(scoreA, scoreB),
      raw,
      error: null,
      latencyMs,
      usage,
      attempts,
      cached,
    };
  }
}

function failure(
  base: { order: Order; vote: number },
  error: string,
  detail: string,
  raw: string | null,
  latencyMs: number,
  usage: Usage | null,
  attempts: number,
): Condition {
  return {
    ...base,
    scoreA: null,
    scoreB: null,
    winner: null,
    raw,
    error,
    errorDetail: detail,
    latencyMs,
    usage,
    attempts,
    cached: false,
  };
}
