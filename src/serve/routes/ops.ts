// /healthz and /metrics.
import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";

export function opsRoutes(ctx: ServiceContext): Hono {
  const { options, metrics, barrier, groupSlots } = ctx;
  const app = new Hono();
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
  return app;
}
