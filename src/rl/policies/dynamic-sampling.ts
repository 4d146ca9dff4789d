// DAPO's dynamic sampling: groups the task dropped (all rewards equal) are refilled from further
// prompts, up to `max_refills` rounds; every group drawn is recorded. Without it, one round.
import type { RolloutConfig } from "../config.ts";

/** How many prompts round `round` draws, given the groups kept so far; null: the step has enough. */
export function promptsForRound(rollout: RolloutConfig, round: number, kept: number): number | null {
  const want = rollout.prompts_per_step;
  if (round === 0) return want;
  if (!rollout.dynamic_sampling || round > rollout.max_refills || kept >= want) return null;
  // a refill asks only for as many groups as were dropped
  return want - kept;
}
