// /v1/compare, /v1/score_group and /v1/score_groups: verdicts and group advantages.
import { Hono } from "hono";
import { isScalarEstimator, judgeCallsFor } from "../../rl/estimators/index.ts";
import { CompareBody, fieldError, GroupBody, GroupsBody, publicGroup } from "../bodies.ts";
import type { ServiceContext } from "../context.ts";
import { takingTurns } from "../taking-turns.ts";

export function judgingRoutes(ctx: ServiceContext): Hono {
  const { options, judge, countVerdicts, readJson, tooBig, tooLong, maxCalls, brpoShape, scoreGroup } = ctx;
  const app = new Hono();
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
      calls += judgeCallsFor(g.estimator ?? "brpo", g.responses.length, brpoShape);
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
  return app;
}
