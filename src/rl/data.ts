// Training data for the policy: chat-formatted (prompt, response) token sequences with their
// next-token targets, and the step's rollouts with their advantages turned into training items
// (masked members and dropped groups leave nothing). Used by the loop, `wz score` and `wz finetune`.

import type { Rollout } from "../data/prompts.ts";
import type { ChatMessage } from "../llm/types.ts";
import type { DecoderModel } from "../model/decoder.ts";
import { nextTokenTargets } from "../model/targets.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import type { GroupAdvantages } from "./estimators/types.ts";

/** A sequence whose loss starts at the prompt's last token (it predicts the first response token). */
export interface Sequence {
  tokens: number[];
  /** Number of prompt tokens; the response is tokens.slice(promptLength). */
  promptLength: number;
}

export function promptTokens(tok: TextTokenizer, prompt: string): number[] {
  return tok.encode(tok.applyChatTemplate([{ role: "user", content: prompt }], true));
}

/** A user prompt in the chat template, then the response and the end-of-turn token. */
export function chatSequence(tok: TextTokenizer, prompt: string, response: string): Sequence {
  const p = promptTokens(tok, prompt);
  const r = tok.encode(response).concat(tok.eosId === null ? [] : [tok.eosId]);
  return { tokens: p.concat(r), promptLength: p.length };
}

/**
 * Chat messages whose last turn is the assistant's: the earlier turns in the chat template (with
 * the generation prompt, as at sampling time), then the assistant's text and the end-of-turn token.
 * Only the assistant's tokens take loss.
 */
export function chatMessagesSequence(tok: TextTokenizer, messages: ChatMessage[]): Sequence {
  const last = messages[messages.length - 1];
  if (last?.role !== "assistant") throw new Error("the last message must be the assistant's");
  const p = tok.encode(tok.applyChatTemplate(messages.slice(0, -1), true));
  const r = tok.encode(last.content).concat(tok.eosId === null ? [] : [tok.eosId]);
  return { tokens: p.concat(r), promptLength: p.length };
}

export function responseTargets(s: Sequence): number[] {
  return nextTokenTargets(s.tokens, s.promptLength - 1);
}

/** Log-probabilities (and entropies) of a sequence's response tokens under a model. */
export function responseLogprobs(model: DecoderModel, s: Sequence, keepActivations: boolean) {
  const { logprobs, entropy } = model.forward(s.tokens, responseTargets(s), keepActivations);
  const from = s.promptLength - 1;
  const to = s.tokens.length - 1;
  return { logp: logprobs.slice(from, to), entropy: entropy.slice(from, to), length: s.tokens.length, from };
}

export type ResponseLogprobs = ReturnType<typeof responseLogprobs>;

/** responseLogprobs() for several sequences in one packed pass (DecoderModel.forwardPacked). */
export function responseLogprobsPacked(
  model: DecoderModel,
  seqs: Sequence[],
  keepActivations: boolean,
): ResponseLogprobs[] {
  if (seqs.length === 1) return [responseLogprobs(model, seqs[0], keepActivations)];
  const results = model.forwardPacked(
    seqs.map((s) => ({ tokens: s.tokens, targets: responseTargets(s) })),
    keepActivations,
  );
  return results.map(({ logprobs, entropy }, i) => {
    const s = seqs[i];
    const from = s.promptLength - 1;
    const to = s.tokens.length - 1;
    return {
      logp: logprobs.slice(from, to),
      entropy: entropy.slice(from, to),
      length: s.tokens.length,
      from,
    };
  });
}

export interface TrainingItem {
  sequence: Sequence;
  advantage: number;
  rollout: Rollout;
}

export function rolloutSequence(r: Rollout): Sequence {
  return { tokens: r.promptTokens.concat(r.responseTokens), promptLength: r.promptTokens.length };
}

/** The step's items: one per judged member of a kept group, in group then member order. */
export function trainingItems(groups: Rollout[][], estimates: GroupAdvantages[]): TrainingItem[] {
  const items: TrainingItem[] = [];
  groups.forEach((grp, g) => {
    const est = estimates[g];
    if (est.dropped) return;
    grp.forEach((r, i) => {
      if (!est.masked[i])
        items.push({ sequence: rolloutSequence(r), advantage: est.advantages[i], rollout: r });
    });
  });
  return items;
}
