// Sampling tokens/s through llama.cpp: 4 seeded samples of one prompt from a GGUF, timed after
// the model is loaded. Shared by bench:engine and bench:real.
import { LlamaSampler } from "../src/llm/llama-sampler.ts";

export async function samplingRate(
  path: string,
  prompt: number[],
  o: { maxTokens: number; threads?: number },
): Promise<number> {
  const sampler = new LlamaSampler(1024, o.threads ?? 1);
  await sampler.load(path);
  const t0 = performance.now();
  const out = await sampler.sample(prompt, {
    n: 4,
    temperature: 1,
    topP: 1,
    maxTokens: o.maxTokens,
    seed: 1,
    stopTokens: [],
  });
  const n = out.reduce((s, x) => s + x.tokens.length, 0);
  await sampler.close();
  return n / ((performance.now() - t0) / 1000);
}
