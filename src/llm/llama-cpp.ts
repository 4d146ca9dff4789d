// llama.cpp in-process (node-llama-cpp): load a GGUF after validating it, score sequences with the
// full next-token distribution, and sample. Contexts follow docs/performance.md: one thread on a
// 2-core machine, and an F32 KV cache without flash attention when exactness matters.
import {
  getLlama,
  type Llama,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { readGgufHeader, validateGguf } from "../model/gguf.ts";

let llamaPromise: Promise<Llama> | null = null;

export function llamaRuntime(): Promise<Llama> {
  llamaPromise ??= getLlama({
    gpu: false,
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  });
  return llamaPromise;
}

/** node-llama-cpp brands token ids; ours are plain numbers from the same vocabulary. */
export function asTokens(ids: readonly number[]): Token[] {
  return ids as Token[];
}

/** Throws a clear error for a GGUF that llama.cpp would reject or, worse, abort on. */
export function assertLoadableGguf(path: string): void {
  const problems = validateGguf(readGgufHeader(path));
  if (problems.length) throw new Error(`${path}: not loadable by llama.cpp: ${problems.join("; ")}`);
}

export interface ContextOptions {
  /** Exact mode: F32 KV cache and no flash attention (log-probabilities match to ~1e-6). */
  exact?: boolean;
  threads?: number;
  contextSize?: number;
  sequences?: number;
  lora?: { filePath: string; scale?: number }[];
}

export async function loadGgufModel(path: string): Promise<LlamaModel> {
  assertLoadableGguf(path);
  const llama = await llamaRuntime();
  return llama.loadModel({ modelPath: path, gpuLayers: 0 });
}

export async function createContext(model: LlamaModel, options: ContextOptions = {}): Promise<LlamaContext> {
  const exact = options.exact ?? true;
  return model.createContext({
    contextSize: options.contextSize ?? 512,
    sequences: options.sequences ?? 1,
    threads: options.threads ?? 1,
    flashAttention: exact ? false : "auto",
    ...(exact ? { experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" } : {}),
    ...(options.lora ? { lora: { adapters: options.lora } } : {}),
  } as never);
}

/** Next-token distributions after each prefix tokens[0..t], as dense arrays over the vocabulary. */
export async function nextTokenDistributions(
  context: LlamaContext,
  tokens: number[],
  vocabSize: number,
): Promise<Float64Array[]> {
  const sequence = context.getSequence();
  try {
    const input = tokens.map(
      (t) =>
        [
          t,
          { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } },
        ] as const,
    );
    const output = await sequence.controlledEvaluate(input as never);
    return output.map((o, i) => {
      const dist = new Float64Array(vocabSize);
      const probs = (o as { next?: { probabilities?: Map<number, number> } } | undefined)?.next
        ?.probabilities;
      if (!probs) throw new Error(`llama.cpp returned no distribution at position ${i}`);
      for (const [tok, p] of probs) dist[tok] = p;
      return dist;
    });
  } finally {
    sequence.dispose();
  }
}
