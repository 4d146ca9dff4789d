// What every model backend speaks: chat messages in, text out, or a typed failure.
// The OpenAI-compatible client, the llama.cpp backend and scripted test backends all implement ChatBackend.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface SamplingParams {
  temperature: number;
  top_p: number;
  max_tokens: number;
  seed: number;
}

export const DEFAULT_JUDGE_SAMPLING: SamplingParams = { temperature: 0, top_p: 1, max_tokens: 2048, seed: 0 };

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type FinishReason = "stop" | "length" | "other";

export interface ChatSuccess {
  ok: true;
  text: string;
  finishReason: FinishReason;
  /**
   * The judge's own text hit the token limit and a grammar wrote the final line (a local GGUF
   * judge): the verdict stands, but it rests on a critique that was cut short. Counted per step.
   */
  cut?: boolean;
  usage: Usage | null;
  latencyMs: number;
  attempts: number;
}

/** Why a call produced no text at all (after the backend's own retries). */
export type CallErrorKind = "timeout" | "http_error" | "network" | "bad_response";

export interface ChatFailure {
  ok: false;
  error: CallErrorKind;
  status?: number;
  detail: string;
  latencyMs: number;
  attempts: number;
}

export type ChatResult = ChatSuccess | ChatFailure;

export interface ChatRequest {
  messages: ChatMessage[];
  sampling: SamplingParams;
  /** Optional GBNF grammar for backends that support constrained decoding (llama.cpp). */
  grammar?: string;
}

export interface ChatBackend {
  /** The model name that goes into verdicts and cache keys. */
  readonly model: string;
  chat(request: ChatRequest): Promise<ChatResult>;
}

export interface SampleOptions {
  n: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
  /** Keep only the k likeliest tokens (0 or absent: no limit). */
  topK?: number;
  /** Token ids that end a sample (e.g. <|im_end|>); the stop token is kept in `tokens`. */
  stopTokens: number[];
}

export interface Sample {
  tokens: number[];
  finishReason: "stop" | "length";
}

/**
 * What the loop samples from: n seeded continuations of a tokenised prompt from the weights last
 * loaded. llama.cpp in-process by default; tests script it; weight sync is load() of a new file.
 */
export interface Sampler {
  load(path: string, lora?: { filePath: string; scale?: number }[]): Promise<void>;
  sample(promptTokens: number[], options: SampleOptions): Promise<Sample[]>;
  close(): Promise<void>;
}
