// A base model's own samples, two per prompt, drawn as the policy's rollouts are (its temperature
// and token limit): the raw material of on-policy preference pairs. Preference data is collected
// this way (two answers of the model being trained); a judge that only saw constructed responses
// has never met the policy's own near misses. Used by the main job's GenRM and by wz experiment.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LlamaSampler } from "../llm/llama-sampler.ts";
import { exportGguf } from "../model/checkpoint.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import { loadPolicy } from "../rl/loop.ts";
import { sampleGroups } from "../rl/rollouts.ts";
import { makePrompt, type Split } from "../world/constrained-writing.ts";

export interface BaseSamples {
  /** The prompt's split ("pretrain" for training pairs, "eval" for held-out ones). */
  split: string;
  id: string;
  prompt: string;
  samples: string[];
}

/**
 * Two samples of each of `count[split]` tiny prompts (seeded by `seed`) from the base model at
 * `baseDir`; the base is exported to `gguf` and sampled through llama.cpp as rollouts are.
 */
export async function sampleBase(o: {
  baseDir: string;
  gguf: string;
  counts: Partial<Record<Split, number>>;
  seed: number;
  temperature: number;
  maxTokens: number;
  kernel: ComputeBackend;
}): Promise<BaseSamples[]> {
  const base = loadPolicy(o.baseDir, o.kernel);
  mkdirSync(dirname(o.gguf), { recursive: true });
  writeFileSync(o.gguf, exportGguf(base.model, base.tokenizer));
  const prompts = (Object.entries(o.counts) as [Split, number][]).flatMap(([split, n]) =>
    Array.from({ length: n }, (_, i) => makePrompt(i, o.seed + 1000, split)),
  );
  const sampler = new LlamaSampler(1024, 1);
  await sampler.load(o.gguf);
  try {
    const groups = await sampleGroups(sampler, base.tokenizer, prompts, {
      n: 2,
      temperature: o.temperature,
      topP: 1,
      maxTokens: o.maxTokens,
      seedFor: (g) => (o.seed * 7919 + g) & 0x7fffffff,
    });
    return prompts.map((q, g) => ({
      split: q.id.split("-")[0],
      id: `base-${q.id}`,
      prompt: q.prompt,
      samples: groups[g].map((r) => r.text),
    }));
  } finally {
    await sampler.close();
  }
}
