// Where the policy lives: the loop asks a PolicyTrainer to sample, to update on a step's training
// items and to save and restore its state, and knows nothing else of the weights. The embedded
// engine (local-trainer.ts) is the default; a Tinker-compatible service (src/tinker/
// remote-trainer.ts) holds them for models a laptop cannot. The judge, the estimator, the run
// store and the monitor stay in the loop, whichever trainer holds the weights.
import type { Sampler } from "../llm/types.ts";
import type { TrainingItem } from "./data.ts";
import type { UpdateOptions, UpdateResult } from "./update.ts";

export interface PolicyTrainer {
  /** One line for the run's log: where the weights are and how they are trained. */
  describe(): string;
  /** The state saved after `step` (a resumed run); before start(). */
  restore(step: number): Promise<void>;
  /** Ready to sample from the current weights. */
  start(): Promise<Sampler>;
  /** One policy update on the step's items. */
  update(items: TrainingItem[], o: UpdateOptions): Promise<UpdateResult>;
  /** The sampler from start() samples the weights of the last update from now on. */
  sync(): Promise<void>;
  /** The state after `step` (weights and optimizer), written before the step's store commit. */
  saveState(step: number): Promise<void>;
  /** Forgets every saved state but `step`'s (after its commit). */
  pruneStates(step: number): void;
  /** A kept checkpoint of the weights after `step` (every train.checkpoint_every steps). */
  checkpoint(step: number): Promise<void>;
  close(): Promise<void>;
}
