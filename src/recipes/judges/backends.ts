// The chat backends a GenRM judge runs on, declared once as {name, description, applies, build}:
// llama.cpp in-process on a local GGUF, or any OpenAI-compatible server (vLLM, SGLang, llama.cpp's
// server, a hosted API). The first that applies to a spec is used; adding one is one entry here.
import { existsSync } from "node:fs";
import { EngineChatBackend } from "../../llm/engine-judge-backend.ts";
import { LlamaCppChatBackend } from "../../llm/llama-judge-backend.ts";
import { OpenAICompatibleBackend } from "../../llm/openai-compatible.ts";
import type { ChatBackend } from "../../llm/types.ts";
import type { JudgeSpec } from "./spec.ts";

export interface BuiltBackend {
  backend: ChatBackend;
  /** Where the judge runs, for describe(). */
  where: string;
  close(): void;
  /** The HTTP client, when there is one (criteria scoring talks to it directly). */
  http?: OpenAICompatibleBackend;
}

export interface ChatBackendSpec {
  name: string;
  description: string;
  applies(spec: JudgeSpec): boolean;
  build(spec: JudgeSpec): BuiltBackend;
}

export const CHAT_BACKENDS: ChatBackendSpec[] = [
  {
    name: "engine",
    description: "a local GGUF in our own engine: every request of a step decoded at once, greedily",
    applies: (spec) => Boolean(spec.gguf) && spec.runtime === "engine",
    build(spec) {
      const gguf = spec.gguf!;
      if (!existsSync(gguf)) throw new Error(`judge GGUF ${gguf} does not exist`);
      if (spec.grammar === false)
        throw new Error("the engine runtime always writes a malformed final line under the grammar");
      const backend = new EngineChatBackend(gguf, { kernel: spec.kernel });
      return {
        backend,
        where: `our engine (${spec.kernel?.name ?? "reference kernel"}), batched greedy decoding, final line under the grammar`,
        close: () => void backend.close(),
      };
    },
  },
  {
    name: "llama.cpp",
    description: "a local GGUF, in-process; the verdict line written under a grammar when malformed",
    applies: (spec) => Boolean(spec.gguf),
    build(spec) {
      const gguf = spec.gguf!;
      if (!existsSync(gguf)) throw new Error(`judge GGUF ${gguf} does not exist`);
      const grammar = spec.grammar ?? true;
      const backend = new LlamaCppChatBackend(gguf, { grammar, parallel: spec.parallel });
      return {
        backend,
        where: `llama.cpp${(spec.parallel ?? 1) > 1 ? ` (${spec.parallel} sequences side by side)` : ""}, ${grammar ? "final line constrained by a grammar" : "no grammar"}`,
        close: () => void backend.close(),
      };
    },
  },
  {
    name: "openai",
    description: "an OpenAI-compatible server: replicas, concurrency, per-minute budgets, retries",
    applies: () => true,
    build(spec) {
      const baseUrls = spec.baseUrls ?? [];
      if (baseUrls.length === 0) {
        throw new Error(
          "the GenRM judge needs a base URL (--base-url, WZ_BASE_URL or judge.base_url) or a local --gguf",
        );
      }
      if (!spec.model)
        throw new Error("the GenRM judge needs a model name (--model, WZ_MODEL or judge.model)");
      const http = new OpenAICompatibleBackend({
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
      return { backend: http, where: baseUrls.join(", "), close: () => {}, http };
    },
  },
];

export function chatBackendFor(spec: JudgeSpec): BuiltBackend {
  return CHAT_BACKENDS.find((b) => b.applies(spec))!.build(spec);
}
