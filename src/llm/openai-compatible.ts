// A chat-completions client for any OpenAI-compatible server (vLLM, SGLang, llama.cpp server,
// Ollama, OpenAI), over node:http with keep-alive sockets (src/llm/http-post.ts). It spreads
// requests over replicas, limits concurrency and per-minute budgets, times out, and retries what
// is worth retrying. It never throws for a failed call: the caller gets a typed ChatFailure.

import { HttpPoster, type PostError, type PostResult } from "./http-post.ts";
import { backoffMs, MinuteWindow, parseRetryAfter, Semaphore, sleep } from "./limits.ts";
import type { ChatBackend, ChatRequest, ChatResult, FinishReason, Usage } from "./types.ts";

export interface OpenAICompatibleOptions {
  baseUrls: string[];
  model: string;
  apiKey?: string;
  concurrency?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  timeoutMs?: number;
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /**
   * Keep retrying retryable failures (429, 5xx, timeouts, dropped connections) for at least this
   * long, even past maxRetries, so that a short outage of the judge server is ridden out instead
   * of turning into masked samples (default 0: maxRetries alone decides; maxRetries 0 never retries).
   */
  retryWindowMs?: number;
  /** How to wait between attempts (tests hand in a recorder instead of a clock). */
  sleep?: (ms: number) => Promise<void>;
  /** The clock for the retry window (tests hand in a fake one). */
  now?: () => number;
}

export interface BackendCounters {
  requests: number;
  retries: number;
  failures: number;
}

function normaliseBase(url: string): string {
  const u = url.replace(/\/+$/, "");
  return u.endsWith("/v1") ? u : `${u}/v1`;
}

function finishReasonOf(raw: unknown): FinishReason {
  if (raw === "stop" || raw === "eos" || raw === "end_turn") return "stop";
  if (raw === "length" || raw === "max_tokens") return "length";
  return raw == null ? "stop" : "other";
}

export class OpenAICompatibleBackend implements ChatBackend {
  readonly model: string;
  readonly counters: BackendCounters = { requests: 0, retries: 0, failures: 0 };
  private readonly bases: string[];
  private next = 0;
  private readonly semaphore: Semaphore;
  private readonly poster: HttpPoster;
  private readonly rpm?: MinuteWindow;
  private readonly tpm?: MinuteWindow;
  private readonly options: Required<
    Pick<
      OpenAICompatibleOptions,
      "timeoutMs" | "maxRetries" | "backoffBaseMs" | "backoffCapMs" | "retryWindowMs"
    >
  > &
    OpenAICompatibleOptions;

  constructor(options: OpenAICompatibleOptions) {
    if (options.baseUrls.length === 0) throw new Error("at least one base URL is needed");
    this.model = options.model;
    this.bases = options.baseUrls.map(normaliseBase);
    this.semaphore = new Semaphore(options.concurrency ?? 16);
    this.poster = new HttpPoster(options.concurrency ?? 16);
    if (options.requestsPerMinute) this.rpm = new MinuteWindow(options.requestsPerMinute);
    if (options.tokensPerMinute) this.tpm = new MinuteWindow(options.tokensPerMinute);
    // Field by field: an explicit `undefined` from a caller must not erase a default.
    this.options = {
      ...options,
      timeoutMs: options.timeoutMs ?? 120_000,
      maxRetries: options.maxRetries ?? 4,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffCapMs: options.backoffCapMs ?? 20_000,
      retryWindowMs: options.retryWindowMs ?? 0,
    };
  }

  get inFlight(): number {
    return this.semaphore.inFlight;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    const body = JSON.stringify({
      model: this.model,
      messages: request.messages,
      temperature: request.sampling.temperature,
      top_p: request.sampling.top_p,
      max_tokens: request.sampling.max_tokens,
      seed: request.sampling.seed,
    });
    // A rough token estimate for the per-minute budget: 4 characters a token plus the reply cap.
    const tokenEstimate = Math.ceil(body.length / 4) + request.sampling.max_tokens;
    let attempts = 0;
    const now = this.options.now ?? (() => performance.now());
    const windowStart = now();
    for (;;) {
      attempts++;
      const outcome = await this.once(body, tokenEstimate);
      if (outcome.kind === "ok") {
        const { text, finishReason, usage } = outcome;
        return { ok: true, text, finishReason, usage, latencyMs: performance.now() - started, attempts };
      }
      const backoff = Math.max(
        backoffMs(attempts - 1, this.options.backoffBaseMs, this.options.backoffCapMs),
        outcome.retryAfterMs ?? 0,
      );
      // Retry while within maxRetries, or while the next attempt still falls inside the window.
      const withinWindow = now() - windowStart + backoff < this.options.retryWindowMs;
      const retryable =
        outcome.retryable &&
        this.options.maxRetries > 0 &&
        (attempts <= this.options.maxRetries || withinWindow);
      if (!retryable) {
        this.counters.failures++;
        return {
          ok: false,
          error: outcome.error,
          status: outcome.status,
          detail: outcome.detail,
          latencyMs: performance.now() - started,
          attempts,
        };
      }
      this.counters.retries++;
      await (this.options.sleep ?? sleep)(backoff);
    }
  }

  private async once(
    body: string,
    tokenEstimate: number,
  ): Promise<
    | { kind: "ok"; text: string; finishReason: FinishReason; usage: Usage | null }
    | {
        kind: "fail";
        error: "timeout" | "http_error" | "network" | "bad_response";
        status?: number;
        detail: string;
        retryable: boolean;
        retryAfterMs?: number | null;
      }
  > {
    await this.semaphore.acquire();
    try {
      await this.rpm?.take(1);
      await this.tpm?.take(tokenEstimate);
      const base = this.bases[this.next++ % this.bases.length];
      this.counters.requests++;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
      let res: PostResult;
      try {
        res = await this.poster.post(`${base}/chat/completions`, body, headers, this.options.timeoutMs);
      } catch (e) {
        const err = e as PostError;
        if (err.kind === "timeout") {
          return {
            kind: "fail",
            error: "timeout",
            detail: `no reply from ${base} within ${this.options.timeoutMs} ms`,
            retryable: true,
          };
        }
        return {
          kind: "fail",
          error: "network",
          detail: `${err.code ?? err.name}: ${err.message}`,
          retryable: true,
        };
      }
      const text = res.text;
      if (res.status < 200 || res.status >= 300) {
        const retryable = res.status === 429 || res.status >= 500;
        const retryAfter = res.headers["retry-after"];
        return {
          kind: "fail",
          error: "http_error",
          status: res.status,
          detail: `HTTP ${res.status} from ${base}: ${text.slice(0, 200)}`,
          retryable,
          retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : (retryAfter ?? null)),
        };
      }
      let json: {
        choices?: { message?: { content?: string | null }; finish_reason?: string }[];
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
      try {
        json = JSON.parse(text);
      } catch {
        return {
          kind: "fail",
          error: "bad_response",
          detail: `not JSON: ${text.slice(0, 120)}`,
          retryable: true,
        };
      }
      const choice = json.choices?.[0];
      if (!choice || typeof choice.message?.content !== "string") {
        return {
          kind: "fail",
          error: "bad_response",
          detail: "no choices[0].message.content",
          retryable: false,
        };
      }
      const usage = json.usage
        ? {
            prompt_tokens: json.usage.prompt_tokens ?? 0,
            completion_tokens: json.usage.completion_tokens ?? 0,
          }
        : null;
      return {
        kind: "ok",
        text: choice.message.content,
        finishReason: finishReasonOf(choice.finish_reason),
        usage,
      };
    } finally {
      this.semaphore.release();
    }
  }
}
