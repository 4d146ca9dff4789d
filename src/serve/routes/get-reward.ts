// /get_reward: OpenRLHF's remote reward shape, one sample (or a few) a request, through the group
// barrier; in genrm mode, GenRM replies scored against their labels, with no barrier.
import { Hono } from "hono";
import { requestFingerprint } from "../../store/request-memory.ts";
import { earlierAnswer, fieldError, parseGroupLabel, RewardBody, type RewardReply } from "../bodies.ts";
import type { ServiceContext } from "../context.ts";
import { extractResponse, extractResponseParts, extractUserPrompt } from "../openrlhf.ts";
import { genrmRewards } from "./genrm.ts";

export function getRewardRoutes(ctx: ServiceContext): Hono {
  const { options, metrics, markers, barrier, requests, readJson, tooBig, tooLong, maxGroup } = ctx;
  const app = new Hono();
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
      const parts = genrmRewards(options, items);
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
  return app;
}
