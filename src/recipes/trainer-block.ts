// The trainer: block of a recipe's config: where the policy's weights live. `local` (the default)
// trains on the embedded engine; `tinker` sends forward/backward, optimizer steps and sampling to
// a Tinker-compatible service (the hosted one, SkyRL's, `wz tinker`), while the judge, the
// estimator, the run store, resume and the evaluation stay on this machine.
import { z } from "zod";
import type { LoopConfig } from "../rl/config.ts";
import { TinkerClient } from "../tinker/client.ts";
import { RemoteTrainer } from "../tinker/remote-trainer.ts";

export const TrainerBlockSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("local") }).strict(),
    z
      .object({
        kind: z.literal("tinker"),
        /** The service's address, e.g. http://127.0.0.1:8000 for `wz tinker`. */
        base_url: z.string().url(),
        /** The service's name of the policy's base model (get_server_capabilities lists them). */
        model: z.string().min(1),
        /** LoRA rank; 0 trains every weight (wz tinker allows it; the hosted service trains LoRA only). */
        lora_rank: z.number().int().nonnegative().default(0),
        /** The environment variable holding the API key, sent as X-API-Key when set. */
        api_key_env: z.string().default("TINKER_API_KEY"),
        /** Longest wait for one operation's result, seconds. */
        max_wait_s: z.number().positive().default(600),
        /**
         * Download the final weights (save_weights_external) into the run's final/ and evaluate
         * them here; false: evaluate through the service's sampler, the weights stay there.
         */
        download: z.boolean().default(true),
      })
      .strict(),
  ])
  .default({ kind: "local" });

export type TrainerBlock = z.infer<typeof TrainerBlockSchema>;

/** The local trainer's options that a remote trainer cannot honour, named; null when none is set. */
export function remoteConflicts(c: {
  model: { lora?: unknown };
  rollout: { sampler_weights: string; sampler_parallel: number };
}): string | null {
  if (c.model.lora) return "model.lora (a remote trainer's LoRA is trainer.lora_rank)";
  if (c.rollout.sampler_weights !== "f32")
    return "rollout.sampler_weights (the service samples its own weights)";
  if (c.rollout.sampler_parallel !== 1)
    return "rollout.sampler_parallel (the service batches its own samples)";
  return null;
}

export type TinkerBlock = Extract<TrainerBlock, { kind: "tinker" }>;

/** The block's client: its address, its key from the environment, its bounded wait. */
export function tinkerClient(block: TinkerBlock): TinkerClient {
  return new TinkerClient({
    baseUrl: block.base_url,
    apiKey: process.env[block.api_key_env] || undefined,
    maxWaitMs: block.max_wait_s * 1000,
  });
}

export function remoteTrainer(
  block: TinkerBlock,
  config: LoopConfig & { train: { weight_decay: number; grad_clip: number } },
  runDir: string,
  log: (line: string) => void,
  from: { initialState?: string; reference?: string } = {},
): RemoteTrainer {
  const client = tinkerClient(block);
  return new RemoteTrainer({
    ...from,
    config,
    runDir,
    client,
    baseModel: block.model,
    loraRank: block.lora_rank > 0 ? block.lora_rank : null,
    weightDecay: config.train.weight_decay,
    gradClip: config.train.grad_clip,
    log,
  });
}
