// Rollouts: G samples per prompt from the sampler, with the model's chat template applied, the
// stop token kept in the tokens (the policy must learn where to end) and left out of the text.
// Used by the training loop and by the final head-to-head evaluation.
import type { PromptItem, Rollout } from "../data/prompts.ts";
import type { Sampler } from "../llm/types.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";

export async function sampleGroups(
  sampler: Sampler,
  tok: TextTokenizer,
  prompts: PromptItem[],
  opts: { n: number; temperature: number; topP: number; maxTokens: number; seedFor: (g: number) => number },
): Promise<Rollout[][]> {
  const stop = tok.eosId;
  // All prompts are asked for at once: a sampler with several contexts works on as many of them
  // side by side; the groups come back in prompt order whatever finishes first.
  return Promise.all(
    prompts.map(async (p, g) => {
      const promptTokens = tok.encode(
        tok.applyChatTemplate(p.messages ?? [{ role: "user", content: p.prompt }], true),
      );
      const samples = await sampler.sample(promptTokens, {
        n: opts.n,
        temperature: opts.temperature,
        topP: opts.topP,
        maxTokens: opts.maxTokens,
        seed: opts.seedFor(g),
        stopTokens: stop === null ? [] : [stop],
      });
      return samples.map((s, member) => {
        const body = s.finishReason === "stop" ? s.tokens.slice(0, -1) : s.tokens;
        return {
          group: g,
          member,
          promptTokens,
          responseTokens: s.tokens,
          text: tok.decode(body).trim(),
          finishReason: s.finishReason,
        };
      });
    }),
  );
}
