// Sampling clients' weights: each sampler is a fixed set of weights (a base, or a saved state's
// merged model) exported to GGUF and sampled by llama.cpp; the sampled tokens' log-probabilities
// (and the prompt's, when asked) come from our engine on the same weights, as the trainer's own
// loop computes them. A few samplers stay loaded; the least recently used is closed first.
import { existsSync, writeFileSync } from "node:fs";
import { LlamaSampler } from "../llm/llama-sampler.ts";
import { exportGguf } from "../model/checkpoint.ts";
import type { DecoderModel } from "../model/decoder.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { UserError } from "./errors.ts";
import type { SampledSequence } from "./messages.ts";

export interface SamplingParams {
  max_tokens?: number | null;
  seed?: number | null;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  stop?: string | string[] | number[] | null;
}

export interface Sampler {
  id: string;
  baseName: string;
  modelPath: string | null;
  ggufPath: string;
  /** The merged weights: log-probabilities of what llama.cpp sampled. */
  engine: DecoderModel;
  tokenizer: TextTokenizer;
  llama: LlamaSampler | null;
  lastUsed: number;
}

export class Samplers {
  private readonly all = new Map<string, Sampler>();

  constructor(private readonly maxLoaded = 4) {}

  get(id: string): Sampler {
    const s = this.all.get(id);
    if (!s) throw new UserError(`sampling session "${id}" is unknown here`);
    return s;
  }

  has(id: string): boolean {
    return this.all.has(id);
  }

  /** Registers weights under `id`, writing their GGUF at `ggufPath` unless it is there already. */
  add(s: Omit<Sampler, "llama" | "lastUsed">): Sampler {
    if (!existsSync(s.ggufPath)) writeFileSync(s.ggufPath, exportGguf(s.engine, s.tokenizer));
    const entry: Sampler = { ...s, llama: null, lastUsed: Date.now() };
    this.all.set(s.id, entry);
    return entry;
  }

  private async loaded(s: Sampler): Promise<LlamaSampler> {
    s.lastUsed = Date.now();
    if (s.llama) return s.llama;
    const open = [...this.all.values()].filter((x) => x.llama).sort((a, b) => a.lastUsed - b.lastUsed);
    while (open.length >= this.maxLoaded) {
      const oldest = open.shift()!;
      await oldest.llama!.close();
      oldest.llama = null;
    }
    const llama = new LlamaSampler(Math.min(s.engine.cfg.maxPositionEmbeddings, 4096), 1, 1, 1);
    await llama.load(s.ggufPath);
    s.llama = llama;
    return llama;
  }

  /** num_samples continuations of `prompt`, with each sampled token's log-probability. */
  async sample(
    s: Sampler,
    prompt: number[],
    n: number,
    p: SamplingParams,
    withPromptLogprobs: boolean,
  ): Promise<{ sequences: SampledSequence[]; promptLogprobs: number[] | null }> {
    const V = s.engine.cfg.vocabSize;
    if (prompt.length === 0) throw new UserError("prompt is empty");
    for (const t of prompt)
      if (!Number.isInteger(t) || t < 0 || t >= V)
        throw new UserError(`prompt holds token ${t}, outside the vocabulary (0..${V - 1})`);
    const eos = s.engine.cfg.eosTokenId;
    const stopStrings =
      typeof p.stop === "string"
        ? [p.stop]
        : p.stop?.every((x) => typeof x === "string")
          ? (p.stop as string[])
          : [];
    let stopTokens: number[];
    if (Array.isArray(p.stop) && p.stop.length > 0 && p.stop.every((x) => typeof x === "number"))
      stopTokens = p.stop as number[];
    else if (Array.isArray(p.stop) && p.stop.length === 0)
      throw new UserError("stop=[] (no stop token, not even EOS) is not supported: llama.cpp ends at EOS");
    else stopTokens = eos == null ? [] : [eos];
    const llama = await this.loaded(s);
    const samples = await llama.sample(prompt, {
      n,
      temperature: p.temperature ?? 1,
      topP: p.top_p ?? 1,
      topK: p.top_k != null && p.top_k > 0 ? p.top_k : 0,
      maxTokens: p.max_tokens ?? Math.max(1, s.engine.cfg.maxPositionEmbeddings - prompt.length - 1),
      seed: p.seed ?? Math.floor(Math.random() * 2 ** 31),
      stopTokens,
    });
    const sequences: SampledSequence[] = samples.map((x) => {
      let tokens = x.tokens;
      let stopReason: SampledSequence["stopReason"] = x.finishReason;
      // Stop strings: cut after the first token whose text completes one.
      if (stopStrings.length > 0) {
        for (let i = 1; i <= tokens.length; i++) {
          const text = s.tokenizer.decode(tokens.slice(0, i));
          if (stopStrings.some((w) => text.includes(w))) {
            tokens = tokens.slice(0, i);
            stopReason = "stop";
            break;
          }
        }
      }
      return { tokens, stopReason, logprobs: [] };
    });
    // Log-probabilities from our engine: the sampled tokens' after prompt + earlier tokens.
    const seqs = sequences.map((q) => {
      const all = [...prompt, ...q.tokens];
      return { tokens: all.slice(0, -1), targets: all.slice(1) };
    });
    let promptLogprobs: number[] | null = null;
    for (let i = 0; i < seqs.length; i++) {
      if (sequences[i].tokens.length === 0) continue;
      const [r] = s.engine.forwardPacked([seqs[i]], false);
      sequences[i].logprobs = Array.from(r.logprobs.subarray(prompt.length - 1));
      if (withPromptLogprobs && !promptLogprobs)
        promptLogprobs = [Number.NaN, ...r.logprobs.subarray(0, prompt.length - 1)];
    }
    if (withPromptLogprobs && !promptLogprobs) {
      const [r] = s.engine.forwardPacked([{ tokens: prompt, targets: [...prompt.slice(1), 0] }], false);
      promptLogprobs = [Number.NaN, ...r.logprobs.subarray(0, prompt.length - 1)];
    }
    return { sequences, promptLogprobs };
  }

  /** Forgets the samplers whose id starts with `prefix` (a finished session's), closing llama.cpp. */
  drop(prefix: string): void {
    for (const [id, s] of this.all) {
      if (!id.startsWith(prefix)) continue;
      void s.llama?.close();
      this.all.delete(id);
    }
  }

  async close(): Promise<void> {
    for (const s of this.all.values()) await s.llama?.close();
  }
}
