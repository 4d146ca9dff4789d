// The service's request bodies (zod schemas whose errors name the field), its reply shapes, and
// the limits it applies to them. Pure.
import { z } from "zod";
import { TEMPLATE_NAMES } from "../judge/template.ts";
import { ESTIMATORS, type GroupAdvantages } from "../rl/estimators/index.ts";

const nonEmpty = (field: string) => z.string({ error: `${field} must be a string` });

const filled = (field: string) => nonEmpty(field).min(1, `${field} must not be empty`);

export const CompareBody = z.object({
  prompt: filled("prompt"),
  response_a: filled("response_a"),
  response_b: filled("response_b"),
  votes: z.number().int().positive().max(32).optional(),
});

const Side = z.enum(["first", "second"], { error: 'preferred must be "first" or "second"' });

export const GenRMRewardBody = z.object({
  items: z
    .array(
      z.object({
        reply: nonEmpty("reply"),
        /** Which shown position holds the preferred response. */
        preferred: Side,
        template: z.enum(TEMPLATE_NAMES).optional(),
      }),
      { error: "items must be a list of {reply, preferred}" },
    )
    .min(1, "items must hold at least one reply"),
  /** The judge's first-position rate; default: the batch's own. */
  first_position_rate: z.number().min(0).max(1).optional(),
});

/** 16 groups of the paper's G = 16 with 16 votes, or 32 groups of 64 with one vote. */
export const DEFAULT_MAX_JUDGE_CALLS = 8192;
/**
 * 32 Ki characters (about 8k tokens) a response: short enough that the rule judge's work on one
 * pair of such responses, worst case, stays near 30 ms on one core (65 ms at 64 Ki), so /healthz
 * answers within 100 ms while a group is judged. Raise it (--max-response-chars) for long outputs.
 */
export const DEFAULT_MAX_RESPONSE_CHARS = 1 << 15;

export const GroupBody = z.object({
  prompt: nonEmpty("prompt"),
  responses: z
    .array(z.string(), { error: "responses must be a list of strings" })
    .min(2, "responses must hold at least 2 responses"),
  estimator: z.enum(ESTIMATORS, { error: `estimator must be one of ${ESTIMATORS.join(", ")}` }).optional(),
  seed: z.number().int().optional(),
  step: z.number().int().nonnegative().optional(),
  group_id: z.union([z.string(), z.number()]).optional(),
});

export const GroupsBody = z.object({ groups: z.array(GroupBody).min(1, "groups must not be empty") });

export const RewardBody = z.object({
  query: z.array(z.string()).min(1, "query must hold at least one sample"),
  prompts: z.array(z.string()).optional(),
  labels: z.array(z.union([z.string(), z.number(), z.null()])).optional(),
  /** Optional: the trainer's step or epoch. Groups of different steps never mix. */
  step: z.number().int().nonnegative().optional(),
  epoch: z.number().int().nonnegative().optional(),
  /** Optional: samples in this request's group(s), when it is not the service's --group-size
   * (an engine's evaluation groups). Groups of 1 have nothing to compare: see docs/serve.md. */
  group_size: z.number().int().min(2, "group_size must be at least 2").optional(),
});

export function fieldError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
}

/**
 * A sample's label: "GROUP" or "GROUP#SAMPLE" (the group under --group-key label), either with
 * "@N" at the end for a group of N samples rather than --group-size (an evaluation set's labels,
 * say "q17@4", or "@4" alone when grouping by prompt).
 */
export function parseGroupLabel(label: string): { group: string; sample?: string; size?: number } {
  const m = /^(.*)@(\d+)$/.exec(label);
  const base = m ? m[1] : label;
  const size = m ? Number(m[2]) : undefined;
  const [group, ...sample] = base.split("#");
  return {
    group,
    ...(sample.length ? { sample: sample.join("#") } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}

/** The OpenRLHF reply of /get_reward. */
export interface RewardReply {
  rewards: number[];
  scores: number[];
  extra_logs: {
    masked: number[];
    dropped: number[];
    is_reference: number[];
    from_memory: number[];
    /** 1 where a reasoning block the template opened was cut before judging. */
    reasoning_stripped: number[];
  };
}

export interface RewardAnswer {
  reward: number;
  advantage: number;
  masked: boolean;
  dropped: boolean;
  isReference: boolean;
  /** Served from an earlier identical request's answer (a retry), not from a group of its own. */
  fromMemory?: boolean;
}

/** Sample i's answer in an earlier reply, as a barrier fallback. */
export function earlierAnswer(reply: RewardReply, i: number): RewardAnswer {
  return {
    reward: reply.rewards[i],
    advantage: reply.scores[i],
    masked: reply.extra_logs.masked[i] === 1,
    dropped: reply.extra_logs.dropped[i] === 1,
    isReference: reply.extra_logs.is_reference[i] === 1,
    fromMemory: true,
  };
}

export function publicGroup(res: GroupAdvantages) {
  return {
    estimator: res.estimator,
    advantages: res.advantages,
    masked: res.masked,
    dropped: res.dropped,
    reference_index: res.referenceIndices.length === 1 ? res.referenceIndices[0] : null,
    reference_indices: res.referenceIndices,
    rewards: res.rewards ?? null,
    judge_calls: res.judgeCalls,
    comparisons: res.comparisons.map((c) => ({
      member: c.member,
      against: c.against,
      outcome: c.outcome,
      score: c.score,
      verdict: c.verdict,
    })),
    stats: res.stats,
  };
}
