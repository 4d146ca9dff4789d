// The embedded sampler: n seeded samples per prompt from a GGUF through llama.cpp, one after
// another (the prompt evaluated once, its KV cache reused) or side by side in one batch.
// Weight sync = load(newPath).
import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { asTokens, createContext, loadGgufModel } from "./llama-cpp.ts";
import type { Sample, SampleOptions, Sampler } from "./types.ts";

export type { Sample, SampleOptions } from "./types.ts";

export class LlamaSampler implements Sampler {
  private model: LlamaModel | null = null;
  private context: LlamaContext | null = null;
  private sequences: LlamaContextSequence[] = [];
  loadedPath: string | null = null;

  constructor(
    private readonly contextSize = 512,
    /** llama.cpp threads; 1 keeps samples reproducible across machines with different core counts. */
    private readonly threads = 1,
    /**
     * Samples of one prompt generated side by side, their tokens decoded in one batch: the
     * weights are read once per step for all of them (a large model's sampling is bound by
     * memory). 1: one after another. Batched arithmetic rounds differently from one sequence's,
     * so a run's samples depend on this setting (not on timing: the batches are the same each run).
     */
    private readonly parallel = 1,
  ) {}

  /** Loads (or reloads, after a training step) the GGUF to sample from, with optional LoRA adapters. */
  async load(path: string, lora?: { filePath: string; scale?: number }[]): Promise<void> {
    await this.close();
    this.model = await loadGgufModel(path);
    // Sampling needs no bit-exactness: the trainer recomputes log-probabilities itself.
    this.context = await createContext(this.model, {
      exact: false,
      contextSize: this.contextSize,
      threads: this.threads,
      sequences: this.parallel,
      lora,
    });
    this.loadedPath = path;
  }

  async sample(promptTokens: number[], options: SampleOptions): Promise<Sample[]> {
    if (!this.context) throw new Error("LlamaSampler: load() a model first");
    if (promptTokens.length === 0) throw new Error("empty prompt");
    const budget = Math.min(options.maxTokens, this.contextSize - promptTokens.length - 1);
    if (budget <= 0)
      throw new Error(
        `prompt of ${promptTokens.length} tokens leaves no room in a ${this.contextSize}-token context`,
      );
    const head = promptTokens.slice(0, -1);
    const last = promptTokens[promptTokens.length - 1];
    const out: Sample[] = [];
    if (this.parallel <= 1) {
      // One sequence: the prompt is evaluated once and its KV cache kept for every sample.
      const sequence = this.context.getSequence();
      try {
        if (head.length) await sequence.evaluateWithoutGeneratingNewTokens(asTokens(head));
        for (let i = 0; i < options.n; i++) {
          if (i > 0)
            await sequence.eraseContextTokenRanges([{ start: head.length, end: sequence.nextTokenIndex }]);
          out.push(await generate(sequence, last, budget, options, options.seed + i));
        }
      } finally {
        sequence.dispose();
      }
      return out;
    }
    // Side by side: up to `parallel` sequences (kept for the context's life: a disposed one is not
    // free again at once), each cleared and given the prompt, generating together.
    while (this.sequences.length < this.parallel) this.sequences.push(this.context.getSequence());
    for (let start = 0; start < options.n; start += this.parallel) {
      const count = Math.min(this.parallel, options.n - start);
      const samples = await Promise.all(
        this.sequences.slice(0, count).map(async (sequence, k) => {
          await sequence.clearHistory();
          if (head.length) await sequence.evaluateWithoutGeneratingNewTokens(asTokens(head));
          return generate(sequence, last, budget, options, options.seed + start + k);
        }),
      );
      out.push(...samples);
    }
    return out;
  }

  async close(): Promise<void> {
    this.sequences = [];
    await this.context?.dispose();
    await this.model?.dispose();
    this.context = null;
    this.model = null;
  }
}

/** One sample from a sequence whose KV cache holds the prompt without its last token. */
async function generate(
  sequence: LlamaContextSequence,
  last: number,
  budget: number,
  options: SampleOptions,
  seed: number,
): Promise<Sample> {
  const stops = new Set(options.stopTokens);
  const tokens: number[] = [];
  let finishReason: Sample["finishReason"] = "length";
  const gen = sequence.evaluate(asTokens([last]), {
    temperature: options.temperature,
    topP: options.topP,
    topK: 0,
    minP: 0,
    seed,
  });
  let exhausted = true;
  for await (const token of gen) {
    tokens.push(token as number);
    if (stops.has(token as number)) {
      finishReason = "stop";
      exhausted = false;
      break;
    }
    if (tokens.length >= budget) {
      exhausted = false;
      break;
    }
  }
  // node-llama-cpp ends the generator itself at an end-of-generation token without
  // yielding it. Record the stop token: the trainer must see (and learn) where a sample ends.
  if (exhausted) {
    finishReason = "stop";
    if (options.stopTokens.length > 0) tokens.push(options.stopTokens[0]);
  }
  return { tokens, finishReason };
}
