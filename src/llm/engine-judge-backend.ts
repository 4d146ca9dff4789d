// The GenRM on a local GGUF through our own engine, as a ChatBackend: every request that arrives
// while a batch runs joins the next one, and a batch is decoded greedily in one pass
// (model/batch-decode.ts), every sequence at once. The reply is made as the llama.cpp backend makes
// it: the critique (stopping at end of turn, after a complete "\boxed{...}" of its own, or near the
// token limit); if the judge's own final line is well formed it stands, else the final line is
// written under the same grammar, here as a set of allowed prefixes. Greedy only: the judge's
// temperature must be 0.

import { type DecodeRequest, decodeGreedy } from "../model/batch-decode.ts";
import type { DecoderModel } from "../model/decoder.ts";
import { importGguf } from "../model/gguf-import.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { FINAL_LINE_FORM, FINAL_LINE_TOKENS, fileFingerprint } from "./llama-judge-backend.ts";
import type { ChatBackend, ChatRequest, ChatResult } from "./types.ts";

/** Every final line FINAL_LINE_GRAMMAR accepts ("\n\boxed{x, y}"), and every prefix of one. */
function finalLinePrefixes(): { prefixes: Set<string>; complete: Set<string> } {
  const scores = [
    "10",
    ...Array.from({ length: 10 }, (_, d) => [
      `${d}`,
      ...Array.from({ length: 10 }, (_, f) => `${d}.${f}`),
    ]).flat(),
  ];
  const prefixes = new Set<string>();
  const complete = new Set<string>();
  for (const a of scores)
    for (const b of scores) {
      const line = `\n\\boxed{${a}, ${b}}`;
      complete.add(line);
      for (let i = 0; i <= line.length; i++) prefixes.add(line.slice(0, i));
    }
  return { prefixes, complete };
}

interface Pending {
  request: ChatRequest;
  resolve: (r: ChatResult) => void;
}

export class EngineChatBackend implements ChatBackend {
  readonly model: string;
  private loaded: { model: DecoderModel; tokenizer: TextTokenizer; pieces: string[] } | null = null;
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private grammar: ReturnType<typeof finalLinePrefixes> | null = null;

  constructor(
    private readonly path: string,
    private readonly options: {
      kernel?: ComputeBackend;
      /** Requests decoded in one batch at most (default 256). */
      maxBatch?: number;
      /** false: no grammar phase; the reply is what the judge wrote (the bench's fixed work). */
      grammar?: boolean;
    } = {},
  ) {
    // Its own cache name: the same greedy replies as llama.cpp's in most cases, not in every one
    // (rounding differs), so replies of one are never served as the other's.
    this.model = `engine:gguf:${path.split("/").pop()}@${fileFingerprint(path)}${options.grammar === false ? ":no-grammar" : ""}`;
  }

  chat(request: ChatRequest): Promise<ChatResult> {
    if (request.sampling.temperature !== 0)
      return Promise.resolve({
        ok: false,
        error: "bad_response",
        detail: `the engine runtime decodes greedily: temperature ${request.sampling.temperature} is not supported (set judge.temperature to 0, votes to 1, or runtime llama.cpp)`,
        latencyMs: 0,
        attempts: 1,
      });
    return new Promise((resolve) => {
      this.queue.push({ request, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        // Requests made in the same turn of the event loop (a step's comparisons) share a batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private load() {
    if (!this.loaded) {
      const { model, tokenizer } = importGguf(this.path, { kernel: this.options.kernel });
      const pieces = Array.from({ length: model.cfg.vocabSize }, (_, t) => tokenizer.decode([t], false));
      this.loaded = { model, tokenizer, pieces };
    }
    return this.loaded;
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.options.maxBatch ?? 256);
    try {
      const results = this.judgeBatch(batch.map((p) => p.request));
      batch.forEach((p, i) => {
        p.resolve(results[i]);
      });
    } catch (e) {
      for (const p of batch)
        p.resolve({
          ok: false,
          error: "bad_response",
          detail: (e as Error).message,
          latencyMs: 0,
          attempts: 1,
        });
    }
    if (this.queue.length) setImmediate(() => this.flush());
    else this.scheduled = false;
  }

  private judgeBatch(requests: ChatRequest[]): ChatResult[] {
    const started = performance.now();
    const { model, tokenizer, pieces } = this.load();
    const eos = tokenizer.eosId;
    const prompts = requests.map((r) => tokenizer.encode(tokenizer.applyChatTemplate(r.messages, true)));
    // Phase 1: the critique, and the final line if the judge writes a complete one itself.
    const critiques = decodeGreedy(
      model,
      requests.map((r, i) => ({
        prompt: prompts[i],
        maxTokens: Math.max(1, r.sampling.max_tokens - FINAL_LINE_TOKENS),
        done: (chosen) => {
          const tail = tokenizer.decode(chosen.slice(-12));
          const box = tail.lastIndexOf("\\boxed");
          return box >= 0 && tail.indexOf("}", box) >= 0;
        },
      })),
      eos,
    );
    const results: (ChatResult | null)[] = critiques.map((c, i) => {
      const own = tokenizer.decode(c);
      if (this.options.grammar === false)
        return {
          ok: true,
          text: own,
          finishReason: c.length >= requests[i].sampling.max_tokens - FINAL_LINE_TOKENS ? "length" : "stop",
          usage: { prompt_tokens: prompts[i].length, completion_tokens: c.length },
          latencyMs: performance.now() - started,
          attempts: 1,
        };
      const box = own.lastIndexOf("\\boxed");
      const end = box >= 0 ? own.indexOf("}", box) : -1;
      if (end < 0 || !FINAL_LINE_FORM.test(own.slice(box, end + 1))) return null;
      return {
        ok: true,
        text: `${own.slice(0, box).trimEnd()}\n${own.slice(box, end + 1)}`,
        finishReason: "stop",
        usage: { prompt_tokens: prompts[i].length, completion_tokens: c.length },
        latencyMs: performance.now() - started,
        attempts: 1,
      };
    });
    // Phase 2: the others' final line under the grammar, continuing from the critique without any
    // malformed box of its own (taken back, as the llama.cpp backend does).
    const open = results.flatMap((r, i) => (r ? [] : [i]));
    if (open.length) {
      this.grammar ??= finalLinePrefixes();
      const { prefixes, complete } = this.grammar;
      const kept = open.map((i) => {
        const c = critiques[i];
        let keep = c.length;
        while (keep > 0 && tokenizer.decode(c.slice(0, keep)).includes("\\boxed")) keep--;
        while (keep > 0 && tokenizer.decode(c.slice(0, keep)).trimEnd().endsWith("\\")) keep--;
        return c.slice(0, keep);
      });
      const lines = decodeGreedy(
        model,
        open.map(
          (i, j): DecodeRequest => ({
            prompt: [...prompts[i], ...kept[j]],
            maxTokens: FINAL_LINE_TOKENS,
            allowed: (chosen) => {
              const sofar = chosen.map((t) => pieces[t]).join("");
              return (t) => prefixes.has(sofar + pieces[t]) && pieces[t].length > 0;
            },
            done: (chosen) => complete.has(chosen.map((t) => pieces[t]).join("")),
          }),
        ),
        eos,
      );
      open.forEach((i, j) => {
        const cut = critiques[i].length >= Math.max(1, requests[i].sampling.max_tokens - FINAL_LINE_TOKENS);
        results[i] = {
          ok: true,
          text: `${tokenizer.decode(kept[j]).trimEnd()}${lines[j].map((t) => pieces[t]).join("")}`,
          finishReason: "stop",
          cut,
          usage: {
            prompt_tokens: prompts[i].length,
            completion_tokens: critiques[i].length + lines[j].length,
          },
          latencyMs: performance.now() - started,
          attempts: 1,
        };
      });
    }
    return results as ChatResult[];
  }

  async close(): Promise<void> {
    this.loaded = null;
  }
}
