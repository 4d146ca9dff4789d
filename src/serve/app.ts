// The reward service: HTTP routes that engines owning the training loop (verl, OpenRLHF, TRL)
// call for verdicts and group advantages. Built on hono; no state beyond the barrier and metrics.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { TEMPLATE_NAMES, type TemplateName } from "../judge/template.ts";
import type { PairwiseJudge, Verdict } from "../judge/types.ts";
import { Semaphore } from "../llm/limits.ts";
import {
  ESTIMATORS,
  type EstimatorName,
  estimateGroup,
  type GroupAdvantages,
  isScalarEstimator,
  judgeCallsFor,
} from "../rl/estimators/index.ts";
import {
  assessReply,
  firstPositionShare,
  GENRM_REWARD_VERSION,
  weighForPosition,
} from "../rl/genrm-reward.ts";
import { RequestMemory, requestFingerprint } from "../store/request-memory.ts";
import { BarrierError, GroupBarrier } from "./barrier.ts";
import { ServiceMetrics } from "./metrics.ts";
import {
  extractResponse,
  extractResponseParts,
  extractUserPrompt,
  QWEN_MARKERS,
  type TemplateMarkers,
} from "./openrlhf.ts";
import { takingTurns } from "./taking-turns.ts";

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

const nonEmpty = (field: string) => z.string({ error: `${field} must be a string` });

const filled = (field: string) => nonEmpty(field).min(1, `${field} must not be empty`);

const CompareBody = z.object({
  prompt: filled("prompt"),
  response_a: filled("response_a"),
  response_b: filled("response_b"),
  votes: z.number().int().positive().max(32).optional(),
});

const Side = z.enum(["first", "second"], { error: 'preferred must be "first" or "second"' });

const GenRMRewardBody = z.object({
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

/** Judge calls (one presentation order each) that scoring a group of n makes, per vote. */
export const judgeCalls = judgeCallsFor;

const GroupBody = z.object({
  prompt: nonEmpty("prompt"),
  responses: z
    .array(z.string(), { error: "responses must be a list of strings" })
    .min(2, "responses must hold at least 2 responses"),
  estimator: z.enum(ESTIMATORS, { error: `estimator must be one of ${ESTIMATORS.join(", ")}` }).optional(),
  seed: z.number().int().optional(),
  step: z.number().int().nonnegative().optional(),
  group_id: z.union([z.string(), z.number()]).optional(),
});

const GroupsBody = z.object({ groups: z.array(GroupBody).min(1, "groups must not be empty") });

const RewardBody = z.object({
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

function fieldError(error: z.ZodError): string {
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
interface RewardReply {
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
function earlierAnswer(reply: RewardReply, i: number): RewardAnswer {
  return {
    reward: reply.rewards[i],
    advantage: reply.scores[i],
    masked: reply.extra_logs.masked[i] === 1,
    dropped: reply.extra_logs.dropped[i] === 1,
    isReference: reply.extra_logs.is_reference[i] === 1,
    fromMemory: true,
  };
}

function publicGroup(res: GroupAdvantages) {
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

export function createRewardService(options: ServiceOptions) {
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

  const app = new Hono();
  // Auth first: a request without the token is counted once, with no label, and records no route.
  if (options.token) {
    app.use("*", async (c, next) => {
      if (c.req.path === "/healthz") return next();
      if (c.req.header("authorization") !== `Bearer ${options.token}`) {
        metrics.unauthorized++;
        return c.json({ error: "missing or wrong bearer token" }, 401);
      }
      return next();
    });
  }
  app.use("*", async (c, next) => {
    const t0 = performance.now();
    await next();
    metrics.request(c.req.path, c.res.status, performance.now() - t0);
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: options.bodyLimitBytes ?? 8 << 20,
      onError: (c) =>
        c.json({ error: `request body exceeds ${options.bodyLimitBytes ?? 8 << 20} bytes` }, 413),
    }),
  );
  async function readJson(c: { req: { json(): Promise<unknown> } }): Promise<unknown> {
    try {
      return await c.req.json();
    } catch {
      throw new BarrierError("body: not valid JSON", 400);
    }
  }

  app.onError((err, c) => {
    if (err instanceof BarrierError) return c.json({ error: err.message }, err.status as 400);
    return c.json({ error: `internal error: ${err.message}` }, 500);
  });

  app.get("/healthz", (c) => c.json({ ok: true, judge: options.judge.name, group_size: options.groupSize }));
  app.get("/metrics", (c) =>
    c.text(
      metrics.render({
        wz_queue_samples_waiting: barrier.pendingSamples,
        wz_queue_groups_waiting: barrier.pendingGroups,
        wz_groups_in_flight: groupSlots.inFlight,
        wz_groups_expired_total: barrier.groupsExpired,
        wz_samples_abandoned_total: barrier.samplesAbandoned,
      }),
      200,
      { "content-type": "text/plain; version=0.0.4" },
    ),
  );

  app.post("/v1/compare", async (c) => {
    const parsed = CompareBody.safeParse(await readJson(c));
    if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
    const b = parsed.data;
    const long = tooLong([b.response_a, b.response_b], (i) => (i === 0 ? "response_a" : "response_b"));
    if (long) return c.json({ error: long }, 413);
    const voting = b.votes && options.judgeWithVotes ? takingTurns(options.judgeWithVotes(b.votes)) : judge;
    const verdict = await voting.compare(b.prompt, b.response_a, b.response_b);
    countVerdicts([verdict]);
    return c.json(verdict);
  });

  const maxGroup = options.maxGroupSize ?? 256;
  const tooBig = (n: number) =>
    n > maxGroup
      ? `responses: ${n} responses in one group; this service takes at most ${maxGroup} (--max-group-size): BRPO would make ${2 * (n - 1)} judge calls`
      : null;
  const maxCalls = options.maxJudgeCallsPerRequest ?? DEFAULT_MAX_JUDGE_CALLS;
  const brpoShape = { references: options.references, subgroupSize: options.subgroupSize };
  const maxChars = options.maxResponseChars ?? DEFAULT_MAX_RESPONSE_CHARS;
  /** The first response over the length limit, as an error naming its field; null when none. */
  const tooLong = (texts: readonly string[], field: (i: number) => string) => {
    const i = texts.findIndex((t) => t.length > maxChars);
    return i < 0
      ? null
      : `${field(i)}: ${texts[i].length} characters; this service judges responses of at most ${maxChars} (--max-response-chars)`;
  };

  app.post("/v1/score_group", async (c) => {
    const parsed = GroupBody.safeParse(await readJson(c));
    if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
    const big = tooBig(parsed.data.responses.length);
    if (big) return c.json({ error: big }, 413);
    const long = tooLong(parsed.data.responses, (i) => `responses[${i}]`);
    if (long) return c.json({ error: long }, 413);
    const scalar = isScalarEstimator(parsed.data.estimator ?? "brpo");
    if (scalar && !options.scorer) {
      return c.json(
        { error: `estimator: ${parsed.data.estimator} needs a scalar scorer; this service's judge has none` },
        400,
      );
    }
    return c.json(publicGroup(await scoreGroup(parsed.data)));
  });

  app.post("/v1/score_groups", async (c) => {
    const parsed = GroupsBody.safeParse(await readJson(c));
    if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
    let calls = 0;
    for (const [i, g] of parsed.data.groups.entries()) {
      const big = tooBig(g.responses.length);
      if (big) return c.json({ error: `groups[${i}].${big}` }, 413);
      const long = tooLong(g.responses, (j) => `groups[${i}].responses[${j}]`);
      if (long) return c.json({ error: long }, 413);
      calls += judgeCalls(g.estimator ?? "brpo", g.responses.length, brpoShape);
    }
    if (calls > maxCalls)
      return c.json(
        {
          error: `groups: ${parsed.data.groups.length} groups would make ${calls} judge calls; this service makes at most ${maxCalls} for one request (--max-judge-calls): send fewer groups a request`,
        },
        413,
      );
    const results = await Promise.all(parsed.data.groups.map(scoreGroup));
    return c.json({ results: results.map(publicGroup) });
  });

  /** GenRM rewards for a batch of replies; the bias weight uses the batch's first-position rate. */
  function genrmRewards(
    items: { reply: string; preferred: "first" | "second"; template?: TemplateName }[],
    rate?: number,
  ) {
    const assessed = items.map((it) =>
      assessReply({ ...it, template: it.template ?? options.genrmTemplate ?? "compact" }),
    );
    const firstPositionRate = rate ?? firstPositionShare(assessed);
    return assessed.map((r) => weighForPosition(r, firstPositionRate));
  }

  app.post("/v1/genrm_reward", async (c) => {
    const parsed = GenRMRewardBody.safeParse(await readJson(c));
    if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
    const parts = genrmRewards(parsed.data.items, parsed.data.first_position_rate);
    return c.json({ reward_version: GENRM_REWARD_VERSION, rewards: parts.map((p) => p.reward), parts });
  });

  app.post("/get_reward", async (c) => {
    const parsed = RewardBody.safeParse(await readJson(c));
    if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
    const { query, prompts, labels } = parsed.data;
    if (options.mode === "genrm") {
      // The label of each sample carries the preferred side of the pair its prompt shows.
      if (!labels || labels.length !== query.length)
        return c.json({ error: 'labels: one per query, each "first" or "second" (the preferred side)' }, 400);
      const items: { reply: string; preferred: "first" | "second" }[] = [];
      for (const [i, q] of query.entries()) {
        const side = String(labels[i]).trim().toLowerCase();
        const preferred =
          side === "first" || side === "1" || side === "a"
            ? "first"
            : side === "second" || side === "2" || side === "b"
              ? "second"
              : null;
        if (!preferred)
          return c.json({ error: `labels[${i}]: expected "first" or "second", got "${labels[i]}"` }, 400);
        items.push({ reply: extractResponse(q, prompts?.[i], markers), preferred });
      }
      const parts = genrmRewards(items);
      return c.json({
        rewards: parts.map((p) => p.reward),
        scores: parts.map((p) => p.reward),
        extra_logs: {
          correct: parts.map((p) => (p.correct ? 1 : 0)),
          format_ok: parts.map((p) => (p.format ? 1 : 0)),
          picked_first: parts.map((p) => (p.picked === "first" ? 1 : 0)),
        },
      });
    }
    if (prompts && prompts.length !== query.length) {
      return c.json({ error: `prompts: has ${prompts.length} entries, query has ${query.length}` }, 400);
    }
    if ((options.groupKey ?? "prompt") === "label" && (!labels || labels.length !== query.length)) {
      return c.json({ error: "labels: group ids are required (one per query) when grouping by label" }, 400);
    }
    // Retry or new sample? A request identical to one answered before is a retry, unless samples
    // are arriving for the same group right now (then it is a new sample that repeats an earlier
    // text: short answers do, and prompts recur every epoch). When nothing is arriving, it waits a
    // moment (retryGraceMs) for a new group to show itself before being served the old answer.
    const { step, epoch, group_size: groupSize } = parsed.data;
    const fingerprint = requestFingerprint({ query, prompts, labels, step, epoch, groupSize });
    const when = step !== undefined || epoch !== undefined ? `${epoch ?? ""}:${step ?? ""}` : "";
    // A sample whose request cannot be found would be pooled with every other such sample into
    // one group judged under an empty request: refuse it, naming it.
    for (const [i, q] of query.entries()) {
      const response = extractResponse(q, prompts?.[i], markers);
      const userPrompt = extractUserPrompt(prompts?.[i] ?? q.slice(0, q.length - response.length), markers);
      if (!userPrompt.trim())
        return c.json(
          {
            error: `query[${i}]: no request found: send prompts[${i}], or a chat-templated query whose assistant turn opens with ${JSON.stringify(markers.assistantStart)}`,
          },
          400,
        );
    }
    const samples = query.map((q, i) => {
      const { response, reasoningStripped } = extractResponseParts(q, prompts?.[i], markers);
      const userPrompt = extractUserPrompt(prompts?.[i] ?? q.slice(0, q.length - response.length), markers);
      // Labels name the group under --group-key label; in either mode "@N" at a label's end
      // asks for a group of N (an evaluation set's labels, when the engine cannot say more).
      const label =
        labels?.[i] === null || labels?.[i] === undefined ? null : parseGroupLabel(String(labels[i]));
      const group = (options.groupKey ?? "prompt") === "label" ? (label?.group ?? "") : "";
      return {
        key: `${userPrompt}\u0000${when}\u0000${group}`,
        response,
        size: groupSize ?? label?.size,
        sampleId: label?.sample,
        reasoningStripped,
        // What the waiting request holds: its query and prompt, not only the response.
        bytes: Buffer.byteLength(q) + Buffer.byteLength(prompts?.[i] ?? ""),
      };
    });
    const long = tooLong(
      samples.map((x) => x.response),
      (i) => `query[${i}]`,
    );
    if (long) return c.json({ error: long }, 413);
    const huge = samples.findIndex((x) => x.size !== undefined && x.size > maxGroup);
    if (huge >= 0) {
      const where = groupSize !== undefined ? "group_size" : `labels[${huge}]`;
      return c.json({ error: `${where}: ${tooBig(samples[huge].size!)}` }, 413);
    }
    const small = samples.findIndex((x) => x.size !== undefined && x.size < 2);
    if (small >= 0) {
      return c.json(
        {
          error: `labels[${small}]: "${labels![small]}" asks for a group of ${samples[small].size}; BRPO needs at least 2`,
        },
        400,
      );
    }
    const filling = () => samples.some((x) => barrier.isFilling(x.key));
    // A client that disconnects frees its place in a filling group (and the bytes it held).
    const signal = c.req.raw.signal;
    const run = (earlier: RewardReply | undefined) => async (): Promise<RewardReply> => {
      const answers = await Promise.all(
        samples.map((x, i) =>
          barrier.join(x.key, x.response, {
            size: x.size,
            sampleId: x.sampleId,
            bytes: x.bytes,
            signal,
            fallback: earlier ? earlierAnswer(earlier, i) : undefined,
          }),
        ),
      );
      return {
        rewards: answers.map((a) => a.reward),
        scores: answers.map((a) => a.reward),
        extra_logs: {
          masked: answers.map((a) => (a.masked ? 1 : 0)),
          dropped: answers.map((a) => (a.dropped ? 1 : 0)),
          is_reference: answers.map((a) => (a.isReference ? 1 : 0)),
          from_memory: answers.map((a) => (a.fromMemory ? 1 : 0)),
          reasoning_stripped: samples.map((x) => (x.reasoningStripped ? 1 : 0)),
        },
      };
    };
    // An answer with a failed judgement is not served again: a retry after recovery is judged.
    const keep = (r: RewardReply) => !r.extra_logs.masked.some(Boolean);
    // An identical request whose group is being scored (not filling) is a retry of it.
    const inFlight = requests.running(fingerprint);
    if (inFlight && !filling()) return c.json(await inFlight);
    if (when !== "") {
      // With step or epoch, an identical request is a retry, unless a group of the same step is
      // filling (a repeated text) or starts to within the grace period.
      let known = filling() ? undefined : requests.remembered(fingerprint);
      if (known) {
        await new Promise((r) => setTimeout(r, options.retryGraceMs ?? 1000));
        known = filling() ? undefined : requests.remembered(fingerprint);
      }
      if (known) {
        metrics.retriesAnswered++;
        return c.json({
          ...known,
          extra_logs: { ...known.extra_logs, from_memory: known.rewards.map(() => 1) },
        });
      }
      return c.json(await requests.compute(fingerprint, run(undefined), keep));
    }
    // Without step or epoch the protocol cannot tell a retry of an answered request from the same
    // text in a new group (a new epoch). Such a request joins a new group as a sample, holding its
    // earlier answer: if the group fills, it gets the new group's answer (never an old answer in
    // a new group, and the group is not left one short); if the group expires with nothing but
    // such repeats, they were retries and get their earlier answers (extra_logs.from_memory = 1).
    const earlier = requests.remembered(fingerprint);
    const result = await requests.compute(fingerprint, run(earlier), keep);
    if (result.extra_logs.from_memory.some(Boolean)) metrics.retriesAnswered++;
    return c.json(result);
  });

  return {
    app,
    metrics,
    barrier,
    /** Rejects groups that cannot fill, waits for groups being scored, closes the state file. */
    close: async () => {
      await barrier.close();
      requests.close();
    },
  };
}
