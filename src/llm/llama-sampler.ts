// The embedded sampler: n seeded samples per prompt from a GGUF through llama.cpp, one after
// another (the prompt evaluated once, its KV cache reused) or side by side in one batch. Several
// prompts may be sampled at once, each in its own llama.cpp context on its own thread.
// Weight sync = load(newPath).
import { availableParallelism } from "node:os";
import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { asTokens, createContext, loadGgufModel } from "./llama-cpp.ts";
import type { Sample, SampleOptions, Sampler } from "./types.ts";

export type { Sample, SampleOptions } from "./types.ts";

/** Prompts to sample at once: `requested`, or (0) as many as the cores give contexts of `threads` threads. */
export function samplerConcurrency(requested: number, threads: number): number {
  return requested > 0 ? requested : Math.max(1, Math.floor(availableParallelism() / threads));
}

/** One llama.cpp context and the sequences it keeps for side-by-side sampling. */
interface Slot {
  context: LlamaContext;
  sequences: LlamaContextSequence[];
}

export class LlamaSampler implements Sampler {
  private model: LlamaModel | null = null;
  private slots: Slot[] = [];
  private free: Slot[] = [];
  private waiting: ((slot: Slot) => void)[] = [];
  loadedPath: string | null = null;

  constructor(
    private readonly contextSize = 512,
    /** llama.cpp threads; 1 keeps samples reproducible across machines with different core counts. */
    private readonly threads = 1,
    /**
     * Samples of one prompt generated side by side, their tokens decoded in one batch: the
     * weights are read once per step for all of them (a large model's sampling is bound by
     * memory). 1: one after another. Batched arithmetic rounds differently from one sequence's,
     * so a run's samples depend on this setting. They also depend on timing: which sequences
     * share a decode, and where their tokens sit in the shared KV cache, varies from run to run,
     * so two runs with parallel > 1 do not give the same samples.
     */
    private readonly parallel = 1,
    /**
     * Prompts sampled at once, each in a context of its own (each on `threads` threads). A
     * prompt's samples are the same whatever this is: contexts share nothing but the weights.
     */
    private readonly concurrency = 1,
  ) {}

  /** Loads (or reloads, after a training step) the GGUF to sample from, with optional LoRA adapters. */
  async load(path: string, lora?: { filePath: string; scale?: number }[]): Promise<void> {
    await this.close();
    this.model = await loadGgufModel(path);
    // Sampling needs no bit-exactness: the trainer recomputes log-probabilities itself.
    for (let i = 0; i < this.concurrency; i++) {
      const context = await createContext(this.model, {
        exact: false,
        contextSize: this.contextSize,
        threads: this.threads,
        sequences: this.parallel,
        lora,
      });
      this.slots.push({ context, sequences: [] });
    }
    this.free = [...this.slots];
    this.loadedPath = path;
  }

  /** Waits for a context no other prompt is using (first come, first served). */
  private acquire(): Promise<Slot> {
    const slot = this.free.shift();
    return slot ? Promise.resolve(slot) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  async sample(promptTokens: number[], options: SampleOptions): Promise<Sample[]> {
    if (this.slots.length === 0) throw new Error("LlamaSampler: load() a model first");
    if (promptTokens.length === 0) throw new Error("empty prompt");
    const budget = Math.min(options.maxTokens, this.contextSize - promptTokens.length - 1);
    if (budget <= 0)
      throw new Error(
        `prompt of ${promptTokens.length} tokens leaves no room in a ${this.contextSize}-token context`,
      );
    const slot = await this.acquire();
    try {
      return await this.sampleIn(slot, promptTokens, budget, options);
    } finally {
      this.release(slot);
    }
  }

  private async sampleIn(slot: Slot, promptTokens: number[], budget: number, options: SampleOptions) {
    const head = promptTokens.slice(0, -1);
    const last = promptTokens[promptTokens.length - 1];
    const out: Sample[] = [];
    if (this.parallel <= 1) {
      // One sequence: the prompt is evaluated once and its KV cache kept for every sample.
      const sequence = slot.context.getSequence();
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
    while (slot.sequences.length < this.parallel) slot.sequences.push(slot.context.getSequence());
    for (let start = 0; start < options.n; start += this.parallel) {
      const count = Math.min(this.parallel, options.n - start);
      const samples = await Promise.all(
        slot.sequences.slice(0, count).map(async (sequence, k) => {
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
    for (const slot of this.slots) await slot.context.dispose();
    this.slots = [];
    this.free = [];
    await this.model?.dispose();
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
    topK: options.topK ?? 0,
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
