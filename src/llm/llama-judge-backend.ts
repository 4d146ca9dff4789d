// The GenRM on a local GGUF through llama.cpp, as a ChatBackend. The reply is generated in two
// phases: free critique text (stopping at end of turn, after a complete "\boxed{...}" of its own,
// or near the token limit); if the judge wrote a well-formed final line itself it stands, else the
// final line is written under a GBNF grammar, so that even a small model always ends with a
// parseable \boxed{x, y}.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { Template } from "@huggingface/jinja";
import {
  type LlamaContext,
  type LlamaContextSequence,
  LlamaGrammarEvaluationState,
  type LlamaModel,
} from "node-llama-cpp";
import { readGgufHeader } from "../model/gguf.ts";
import { asTokens, createContext, llamaRuntime, loadGgufModel } from "./llama-cpp.ts";
import type { ChatBackend, ChatRequest, ChatResult } from "./types.ts";

export const FINAL_LINE_GRAMMAR = `root ::= "\\n\\\\boxed{" score ", " score "}"
score ::= "10" | [0-9] ("." [0-9])?`;

/** Tokens kept for the final line (the engine backend keeps as many). */
export const FINAL_LINE_TOKENS = 24;
/** A final line the grammar would accept, written by the judge itself. */
export const FINAL_LINE_FORM = /^\\boxed\{(?:10|\d(?:\.\d)?), (?:10|\d(?:\.\d)?)\}$/;

export class LlamaCppChatBackend implements ChatBackend {
  readonly model: string;
  private loaded: Promise<{
    model: LlamaModel;
    context: LlamaContext;
    template: Template | null;
    eos: number | null;
  }> | null = null;
  /** Requests judged now (at most `parallel`), and those waiting for a sequence. */
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /**
   * With parallel > 1, the context's sequences, kept for its life and cleared between requests
   * (a disposed sequence is not free again at once). One at a time takes a fresh one each time.
   */
  private readonly idle: LlamaContextSequence[] = [];

  constructor(
    private readonly path: string,
    private readonly options: {
      contextSize?: number;
      exact?: boolean;
      /** false: no grammar phase; the reply is what the judge wrote (to measure its own format). */
      grammar?: boolean;
      /**
       * Requests judged side by side, each in a sequence of one llama.cpp context, their tokens
       * evaluated in shared batches (default 1: one at a time). Batched arithmetic rounds
       * differently, so a judge with more than one has its own cache name.
       */
      parallel?: number;
      /** llama.cpp threads (default 1). */
      threads?: number;
    } = {},
  ) {
    // The name keys the reply cache: replies without the grammar are other replies, and another
    // file of the same name (a judge retrained in place, two runs' judge.gguf) is another judge.
    const parallel = options.parallel ?? 1;
    this.model = `gguf:${basename(path)}@${fileFingerprint(path)}${options.grammar === false ? ":no-grammar" : ""}${parallel > 1 ? `:p${parallel}` : ""}`;
  }

  private load() {
    this.loaded ??= (async () => {
      const header = readGgufHeader(this.path);
      const tpl = header.metadata.get("tokenizer.chat_template");
      const model = await loadGgufModel(this.path);
      const context = await createContext(model, {
        exact: this.options.exact ?? false,
        contextSize: this.options.contextSize ?? 4096,
        sequences: this.options.parallel ?? 1,
        threads: this.options.threads ?? 1,
      });
      return {
        model,
        context,
        template: typeof tpl === "string" ? new Template(tpl) : null,
        eos: (header.metadata.get("tokenizer.ggml.eos_token_id") as number | undefined) ?? null,
      };
    })();
    return this.loaded;
  }

  /** Up to `parallel` requests at a time, one context sequence each; the rest wait in order. */
  async chat(request: ChatRequest): Promise<ChatResult> {
    // A finished request hands its sequence to the first waiting one, so none can overtake.
    if (this.running < (this.options.parallel ?? 1)) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await this.chatNow(request);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async chatNow(request: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    try {
      const { model, context, template, eos } = await this.load();
      const text = template
        ? template.render({
            messages: request.messages,
            add_generation_prompt: true,
            bos_token: "",
            eos_token: "",
          })
        : `${request.messages.map((m) => m.content).join("\n\n")}\n`;
      const prompt = Array.from(model.tokenize(text, true) as number[]);
      const budget =
        Math.min(request.sampling.max_tokens, context.contextSize - prompt.length - 1) - FINAL_LINE_TOKENS;
      if (budget < 1) {
        return {
          ok: false,
          error: "bad_response",
          detail: `prompt of ${prompt.length} tokens leaves no room in the context`,
          latencyMs: 0,
          attempts: 1,
        };
      }
      const pooled = (this.options.parallel ?? 1) > 1;
      const sequence = pooled ? (this.idle.pop() ?? context.getSequence()) : context.getSequence();
      if (pooled) await sequence.clearHistory();
      try {
        const sampling = {
          temperature: request.sampling.temperature,
          topP: request.sampling.top_p,
          seed: request.sampling.seed,
        };
        // Phase 1: the critique, and the final line if the judge writes a complete one itself.
        const critique: number[] = [];
        let last = prompt[prompt.length - 1];
        await sequence.evaluateWithoutGeneratingNewTokens(asTokens(prompt.slice(0, -1)));
        for await (const token of sequence.evaluate(asTokens([last]), sampling)) {
          if (token === eos) break;
          critique.push(token as number);
          last = token as number;
          if (critique.length >= budget) break;
          const tail = model.detokenize(asTokens(critique.slice(-12)));
          const box = tail.lastIndexOf("\\boxed");
          if (box >= 0 && tail.indexOf("}", box) >= 0) break; // its own final line is complete
        }
        const own = model.detokenize(asTokens(critique));
        const ownBox = own.lastIndexOf("\\boxed");
        if (ownBox >= 0) {
          const end = own.indexOf("}", ownBox);
          const line = end >= 0 ? own.slice(ownBox, end + 1) : "";
          if (FINAL_LINE_FORM.test(line)) {
            return {
              ok: true,
              text: `${own.slice(0, ownBox).trimEnd()}\n${line}`,
              finishReason: "stop",
              usage: { prompt_tokens: prompt.length, completion_tokens: critique.length },
              latencyMs: performance.now() - started,
              attempts: 1,
            };
          }
        }
        if (this.options.grammar === false) {
          return {
            ok: true,
            text: own,
            finishReason: critique.length >= budget ? "length" : "stop",
            usage: { prompt_tokens: prompt.length, completion_tokens: critique.length },
            latencyMs: performance.now() - started,
            attempts: 1,
          };
        }
        // Otherwise the final line is written under the grammar. The tokens of a malformed box of
        // its own are taken back first (from the KV cache too), so the grammar continues from the
        // critique alone, exactly as the returned text reads.
        let keep = critique.length;
        if (ownBox >= 0)
          while (keep > 0 && model.detokenize(asTokens(critique.slice(0, keep))).includes("\\boxed")) keep--;
        while (
          keep > 0 &&
          model
            .detokenize(asTokens(critique.slice(0, keep)))
            .trimEnd()
            .endsWith("\\")
        )
          keep--;
        const kept = critique.slice(0, keep);
        const critiqueText = model.detokenize(asTokens(kept));
        // Phase 2: the final line under the grammar, continuing from the kept critique.
        const llama = await llamaRuntime();
        const grammar = await llama.createGrammar({ grammar: FINAL_LINE_GRAMMAR });
        const state = new LlamaGrammarEvaluationState({ model, grammar });
        const finalTokens: number[] = [];
        // Erase from the last kept token's position and feed it again, so the state is exact
        // whatever phase 1 left in the cache.
        const tailToken = kept.length ? kept[kept.length - 1] : prompt[prompt.length - 1];
        const tailPosition = prompt.length + kept.length - 1;
        if (sequence.nextTokenIndex > tailPosition) {
          await sequence.eraseContextTokenRanges([{ start: tailPosition, end: sequence.nextTokenIndex }]);
        }
        for await (const token of sequence.evaluate(asTokens([tailToken]), {
          ...sampling,
          grammarEvaluationState: state,
        })) {
          if (token === eos) break;
          finalTokens.push(token as number);
          if (
            model.detokenize(asTokens(finalTokens)).includes("}") ||
            finalTokens.length >= FINAL_LINE_TOKENS
          )
            break;
        }
        const finalLine = model.detokenize(asTokens(finalTokens));
        return {
          ok: true,
          text: `${critiqueText.trimEnd()}${finalLine}`,
          finishReason: "stop",
          cut: critique.length >= budget,
          usage: { prompt_tokens: prompt.length, completion_tokens: critique.length + finalTokens.length },
          latencyMs: performance.now() - started,
          attempts: 1,
        };
      } finally {
        if (pooled) this.idle.push(sequence);
        else sequence.dispose();
      }
    } catch (e) {
      return {
        ok: false,
        error: "bad_response",
        detail: (e as Error).message,
        latencyMs: performance.now() - started,
        attempts: 1,
      };
    }
  }

  async close(): Promise<void> {
    if (!this.loaded) return;
    const { model, context } = await this.loaded;
    await context.dispose();
    await model.dispose();
  }
}

/**
 * A content fingerprint that costs the same for a 1 MB and a 10 GB file: SHA-256 of the size and
 * the first and last MiB (the header with its metadata, and the last tensors' weights). Retraining
 * changes the last tensors, so two different judges do not share a name. "missing" when the file
 * cannot be read; loading it fails later with the real error.
 */
export function fileFingerprint(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "missing";
  }
  try {
    const size = fstatSync(fd).size;
    const span = Math.min(size, 1 << 20);
    const head = Buffer.alloc(span);
    const tail = Buffer.alloc(span);
    readSync(fd, head, 0, span, 0);
    readSync(fd, tail, 0, span, size - span);
    return createHash("sha256").update(String(size)).update(head).update(tail).digest("hex").slice(0, 12);
  } finally {
    closeSync(fd);
  }
}
