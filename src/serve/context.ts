// The state every route family of the reward service shares: the metrics, the judge (taking turns
// when it computes on the event loop), group scoring under the concurrency limit, the group
// barrier, the memory of answered requests, and the limits on a request.
import type { z } from "zod";
import type { Verdict } from "../judge/types.ts";
import { Semaphore } from "../llm/limits.ts";
import {
  type EstimatorName,
  estimateGroup,
  type GroupAdvantages,
  judgeCallsFor,
} from "../rl/estimators/index.ts";
import { RequestMemory } from "../store/request-memory.ts";
import { BarrierError, GroupBarrier } from "./barrier.ts";
import {
  DEFAULT_MAX_JUDGE_CALLS,
  DEFAULT_MAX_RESPONSE_CHARS,
  type GroupBody,
  type RewardAnswer,
  type RewardReply,
} from "./bodies.ts";
import { ServiceMetrics } from "./metrics.ts";
import { QWEN_MARKERS } from "./openrlhf.ts";
import type { ServiceOptions } from "./options.ts";
import { takingTurns } from "./taking-turns.ts";

export type ServiceContext = ReturnType<typeof createServiceContext>;

export function createServiceContext(options: ServiceOptions) {
  const metrics = new ServiceMetrics();
  const groupSlots = new Semaphore(options.maxConcurrentGroups ?? 64);
  const markers = options.markers ?? QWEN_MARKERS;
  let groupCounter = 0;
  const judge = takingTurns(options.judge);

  const countVerdicts = (verdicts: Verdict[]) => {
    for (const v of verdicts) {
      metrics.judgeCalls += v.conditions.length;
      metrics.judgeFailures += v.conditions.filter((c) => c.error !== null).length;
    }
  };

  async function scoreGroup(body: z.infer<typeof GroupBody>): Promise<GroupAdvantages> {
    await groupSlots.acquire();
    try {
      const res = await estimateGroup({ prompt: body.prompt, responses: body.responses }, judge, {
        estimator: (body.estimator ?? "brpo") as EstimatorName,
        seed: body.seed ?? options.seed ?? 0,
        step: body.step ?? 0,
        groupId: body.group_id ?? groupCounter++,
        skewThreshold: options.skewThreshold,
        tie: options.tie,
        inconsistent: options.inconsistent,
        references: options.references,
        subgroupSize: options.subgroupSize,
        scorer: options.scorer,
      });
      countVerdicts(res.comparisons.map((c) => c.verdict));
      metrics.groupsScored++;
      if (res.dropped) metrics.droppedGroups++;
      metrics.maskedSamples += res.stats.maskedCount;
      return res;
    } finally {
      groupSlots.release();
    }
  }

  const barrier = new GroupBarrier<RewardAnswer>({
    size: options.groupSize,
    deadlineMs: options.groupDeadlineMs ?? 120_000,
    maxPending: options.maxPendingSamples ?? 10_000,
    maxPendingBytes: options.maxPendingBytes ?? 256 << 20,
    score: async (key, samples) => {
      const [prompt] = key.split("\u0000");
      const res = await scoreGroup({ prompt: prompt, responses: samples, group_id: key });
      // A group with no successful comparison is dropped: every sample 0, none scored (flagged).
      const judgedNothing =
        res.comparisons.length > 0 && res.comparisons.every((c) => c.outcome === "failed");
      return samples.map((_, i) => ({
        reward: judgedNothing ? 0 : res.masked[i] ? (options.maskedReward ?? 0) : res.advantages[i],
        advantage: res.advantages[i],
        masked: res.masked[i],
        dropped: res.dropped,
        isReference: res.referenceIndices.includes(i),
      }));
    },
  });
  const requests = new RequestMemory<RewardReply>({
    windowMs: options.retryWindowMs ?? 15 * 60_000,
    path: options.stateFile,
  });

  const maxGroup = options.maxGroupSize ?? 256;
  const brpoShape = { references: options.references, subgroupSize: options.subgroupSize };
  const tooBig = (n: number) =>
    n > maxGroup
      ? `responses: ${n} responses in one group; this service takes at most ${maxGroup} (--max-group-size): BRPO would make ${judgeCallsFor("brpo", n, brpoShape)} judge calls`
      : null;
  const maxCalls = options.maxJudgeCallsPerRequest ?? DEFAULT_MAX_JUDGE_CALLS;
  const maxChars = options.maxResponseChars ?? DEFAULT_MAX_RESPONSE_CHARS;
  /** The first response over the length limit, as an error naming its field; null when none. */
  const tooLong = (texts: readonly string[], field: (i: number) => string) => {
    const i = texts.findIndex((t) => t.length > maxChars);
    return i < 0
      ? null
      : `${field(i)}: ${texts[i].length} characters; this service judges responses of at most ${maxChars} (--max-response-chars)`;
  };

  async function readJson(c: { req: { json(): Promise<unknown> } }): Promise<unknown> {
    try {
      return await c.req.json();
    } catch {
      throw new BarrierError("body: not valid JSON", 400);
    }
  }

  return {
    options,
    metrics,
    groupSlots,
    markers,
    judge,
    countVerdicts,
    scoreGroup,
    barrier,
    requests,
    readJson,
    maxGroup,
    tooBig,
    maxCalls,
    brpoShape,
    tooLong,
  };
}
