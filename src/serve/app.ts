// The reward service: HTTP routes that engines owning the training loop (verl, OpenRLHF, TRL)
// call for verdicts and group advantages. Built on hono, as one sub-app per route family
// (routes/): ops, judging, genrm, get-reward, over one shared context (context.ts).
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { BarrierError } from "./barrier.ts";
import { createServiceContext } from "./context.ts";
import type { ServiceOptions } from "./options.ts";
import { genrmRoutes } from "./routes/genrm.ts";
import { getRewardRoutes } from "./routes/get-reward.ts";
import { judgingRoutes } from "./routes/judging.ts";
import { opsRoutes } from "./routes/ops.ts";

export {
  DEFAULT_MAX_JUDGE_CALLS,
  DEFAULT_MAX_RESPONSE_CHARS,
  parseGroupLabel,
  type RewardAnswer,
} from "./bodies.ts";
export type { ServiceOptions } from "./options.ts";

export function createRewardService(options: ServiceOptions) {
  const ctx = createServiceContext(options);
  const { metrics, barrier, requests } = ctx;
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
  app.onError((err, c) => {
    if (err instanceof BarrierError) return c.json({ error: err.message }, err.status as 400);
    return c.json({ error: `internal error: ${err.message}` }, 500);
  });

  for (const routes of [opsRoutes, judgingRoutes, genrmRoutes, getRewardRoutes]) app.route("/", routes(ctx));

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
