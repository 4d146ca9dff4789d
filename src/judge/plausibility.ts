// The plausibility principle: a response should contain no token that a frozen language model
// (by default the run's initial policy) finds implausible after the request and the text before
// it. It knows nothing of any task's grammar, only what the base model learned, so it carries
// over to real writing (a perplexity filter against a reference model). It counters the failure
// a rule judge cannot see: text that ticks every explicit box but is no longer language.

import type { DecoderModel } from "../model/decoder.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import type { ExtraCheck } from "./rule-judge.ts";

export interface PlausibilityOptions {
  /** Weight beside the rules' own (required words weigh 2). */
  weight: number;
  /** A token is implausible when its log-probability under the frozen model is below this (nats). */
  threshold: number;
  /** Score lost per implausible token (1 = one such token scores 0). */
  penalty: number;
}

/** Log-probabilities of the response's tokens (end-of-turn included) after the chat prompt. */
export function responseTokenLogprobs(
  model: DecoderModel,
  tok: TextTokenizer,
  prompt: string,
  response: string,
) {
  const promptTokens = tok.encode(tok.applyChatTemplate([{ role: "user", content: prompt }], true));
  const responseTokens = tok.encode(response).concat(tok.eosId === null ? [] : [tok.eosId]);
  const full = promptTokens.concat(responseTokens);
  const P = promptTokens.length;
  const targets = full.map((_, t) => (t >= P - 1 && t < full.length - 1 ? full[t + 1] : -1));
  const { logprobs } = model.forward(full, targets, false);
  return Array.from(logprobs.slice(P - 1, full.length - 1));
}

export function plausibilityCheck(
  model: DecoderModel,
  tok: TextTokenizer,
  o: PlausibilityOptions,
): ExtraCheck {
  // BRPO compares every member with the same reference: remember each text's result.
  const memo = new Map<string, { score: number; detail: string }>();
  return {
    principle: "plausibility",
    weight: o.weight,
    async check(prompt, response) {
      const key = `${prompt}\u0000${response}`;
      const hit = memo.get(key);
      if (hit) return hit;
      const lp = responseTokenLogprobs(model, tok, prompt, response);
      const implausible = lp.filter((x) => x < o.threshold).length;
      const result = {
        score: Math.max(0, 1 - o.penalty * implausible),
        detail: `${implausible} of ${lp.length} tokens below ${o.threshold} nats under the frozen model (min ${Math.min(...lp).toFixed(2)})`,
      };
      if (memo.size > 50_000) memo.clear();
      memo.set(key, result);
      return result;
    },
  };
}
