// What a reward service is built from: its judge, BRPO's options (as wz train's estimator block
// has them), the barrier's and the limits' settings. Types only.
import type { TemplateName } from "../judge/template.ts";
import type { PairwiseJudge } from "../judge/types.ts";
import type { TemplateMarkers } from "./openrlhf.ts";

export interface ServiceOptions {
  judge: PairwiseJudge;
  /** Builds a judge with another vote count for /v1/compare's `votes` (GenRM only). */
  judgeWithVotes?: (votes: number) => PairwiseJudge;
  scorer?: (prompt: string, response: string) => number | null | Promise<number | null>;
  seed?: number;
  skewThreshold?: number;
  tie?: -1 | 0;
  /** BRPO's remaining options, as wz train's estimator block has them (estimator.inconsistent, .references, .subgroup_size). */
  inconsistent?: -1 | 0;
  references?: number;
  subgroupSize?: number;
  /** /get_reward: samples per group (the engine's n_samples_per_prompt). */
  groupSize: number;
  groupDeadlineMs?: number;
  /** "prompt": group by the prompt; "label": by the group id carried in labels[i] ("GROUP" or "GROUP#SAMPLE"). */
  groupKey?: "prompt" | "label";
  /**
   * Reward given to a masked sample on /get_reward, where the engine cannot mask. Default 0: a
   * failed judgement is no evidence either way, and a zero advantage adds no policy gradient (as a
   * mask would); -1 would train the sample as a loss. Flagged in extra_logs.masked either way.
   */
  maskedReward?: number;
  maxPendingSamples?: number;
  /** Bytes of samples waiting at the barrier at most (default 256 MiB); beyond, 429 naming the limit. */
  maxPendingBytes?: number;
  /** Responses per group at most on /v1/score_group(s) (default 256); beyond, 413 naming the limit. */
  maxGroupSize?: number;
  /** Most judge calls one request may cause (/v1/score_groups sums its groups); beyond it, 413. */
  maxJudgeCallsPerRequest?: number;
  /** Longest response (in characters) judged; a longer one is refused with 413 naming it. */
  maxResponseChars?: number;
  /** How long a /get_reward answer is served again to a retry of the same request (default 15 min). */
  retryWindowMs?: number;
  /** SQLite file where /get_reward answers are kept across restarts (default: memory only). */
  stateFile?: string;
  /** How long an identical request waits for signs of a new group before it is served as a retry (default 1 s). */
  retryGraceMs?: number;
  /** Groups scored at once; further groups wait (bounded by maxPendingSamples). */
  maxConcurrentGroups?: number;
  bodyLimitBytes?: number;
  token?: string;
  markers?: TemplateMarkers;
  /**
   * "judge" (default): /get_reward judges policy samples in groups. "genrm": the samples are a
   * GenRM's replies and /get_reward scores each against its label with the GenRM reward.
   */
  mode?: "judge" | "genrm";
  /** The judge template GenRM replies follow ("compact" or "full"), for the reward's format check. */
  genrmTemplate?: TemplateName;
}
