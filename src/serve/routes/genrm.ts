// /v1/genrm_reward: the GenRM reward of docs/genrm-training.md, for engines training a GenRM.
import { Hono } from "hono";
import {
  assessReply,
  firstPositionShare,
  GENRM_REWARD_VERSION,
  weighForPosition,
} from "../../judge/genrm-reward.ts";
import type { TemplateName } from "../../judge/template.ts";
import { fieldError, GenRMRewardBody } from "../bodies.ts";
import type { ServiceContext } from "../context.ts";
import type { ServiceOptions } from "../options.ts";

/** GenRM rewards for a batch of replies; the bias weight uses the batch's first-position rate. */
export function genrmRewards(
  options: ServiceOptions,
  items: { reply: string; preferred: "first" | "second"; template?: TemplateName }[],
  rate?: number,
) {
  const assessed = items.map((it) =>
    assessReply({ ...it, template: it.template ?? options.genrmTemplate ?? "compact" }),
  );
  const firstPositionRate = rate ?? firstPositionShare(assessed);
  return assessed.map((r) => weighForPosition(r, firstPositionRate));
}

export function genrmRoutes(ctx: ServiceContext): Hono {
  const { options, readJson } = ctx;
  const app = new Hono();
  app.post("/v1/genrm_reward", async (c) => {
    const parsed = GenRMRewardBody.safeParse(await readJson(c));
    if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
    const parts = genrmRewards(options, parsed.data.items, parsed.data.first_position_rate);
    return c.json({ reward_version: GENRM_REWARD_VERSION, rewards: parts.map((p) => p.reward), parts });
  });
  return app;
}
