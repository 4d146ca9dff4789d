// The embedded sampler: n seeded samples per prompt from a GGUF through llama.cpp. The prompt is
// evaluated once per prompt and its KV cache reused for every sample. Weight sync = load(newPath).
import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { asTokens, createContext, loadGgufModel } from "./llama-cpp.ts";
import type { Sample, SampleOptions, Sampler } from "./types.ts";

export type { Sample, SampleOptions } from "./types.ts";

export class LlamaSampler implements Sampler {
  private model: LlamaModel | null = null;
  private context: LlamaContext | null = null;
  loadedPath: string | null = null;

  constructor(
    private readonly contextSize = 512,
    /** llama.cpp threads; 1 keeps samples reproducible across machines with different core counts. */
    private readonly threads = 1,
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
    const sequence = this.context.getSequence();
    const stops = new Set(options.stopTokens);
    const out: Sample[] = [];
    try {
      const head = promptTokens.slice(0, -1);
      const last = promptTokens[promptTokens.length - 1];
      if (head.length) await sequence.evaluateWithoutGeneratingNewTokens(asTokens(head));
      for (let i = 0; i < options.n; i++) {
        if (i > 0)
          await sequence.eraseContextTokenRanges([{ start: head.length, end: sequence.nextTokenIndex }]);
        const tokens: number[] = [];
        let finishReason: Sample["finishReason"] = "length";
        const gen = sequence.evaluate(asTokens([last]), {
          temperature: options.temperature,
          topP: options.topP,
          topK: 0,
          minP: 0,
          seed: options.seed + i,
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
        out.push({ tokens, finishReason });
      }
    } finally {
      sequence.dispose();
    }
    return out;
  }

  async close(): Promise<void> {
    await this.context?.dispose();
    await this.model?.dispose();
    this.context = null;
    this.model = null;
  }
}
