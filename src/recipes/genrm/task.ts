// Training a pairwise GenRM by RL with verifiable rewards: the policy is the judge. Each labelled
// pair becomes two prompts (both presentation orders) rendered by the same template as inference;
// a rollout is a judge reply, rewarded by judge/genrm-reward.ts; GRPO-style advantages per group.
// Pairs are drawn whole, so both orders of a pair are in the same step: the position-bias weight
// uses the step's own first-position rate (deterministic, so a resumed run is exact), and the step
// reports consistency across orders.

import type { Pair } from "../../data/pairs.ts";
import type { PromptItem } from "../../data/prompts.ts";
import {
  assessReply,
  firstPositionShare,
  type GenRMRewardOptions,
  weighForPosition,
} from "../../judge/genrm-reward.ts";
import type { PrincipleSet } from "../../judge/principles.ts";
import { renderTemplate, type TemplateName } from "../../judge/template.ts";
import { sampleWithoutReplacement, seededRandom } from "../../model/random.ts";
import { type ScalarEstimator, scalarAdvantages } from "../../rl/estimators/scalar.ts";
import type { GroupAdvantages } from "../../rl/estimators/types.ts";
import { figure, type Task } from "../../rl/task.ts";

export interface JudgePrompt extends PromptItem {
  pairId: string;
  /** Which shown position holds the preferred response. */
  preferred: "first" | "second";
  order: "ab" | "ba";
}

/** Both orders of each labelled pair, through the inference template. Unlabelled pairs are refused. */
export function judgePrompts(pairs: Pair[], template: TemplateName, principles: PrincipleSet): JudgePrompt[] {
  return pairs.flatMap((p) => {
    if (!p.label) throw new Error(`pair ${p.id} has no label: RLVR needs labelled pairs`);
    return (["ab", "ba"] as const).map((order) => {
      const [first, second] = order === "ab" ? [p.responseA, p.responseB] : [p.responseB, p.responseA];
      const messages = renderTemplate(template, { prompt: p.prompt, first, second }, principles);
      const preferred: "first" | "second" = (p.label === "a") === (order === "ab") ? "first" : "second";
      return {
        id: `${p.id}:${order}`,
        prompt: messages.map((m) => m.content).join("\n\n"),
        messages,
        pairId: p.id,
        preferred,
        order,
      };
    });
  });
}

export interface GenRMTaskOptions {
  prompts: JudgePrompt[];
  template: TemplateName;
  estimator: ScalarEstimator;
  reward: GenRMRewardOptions;
  seed: number;
}

export function genrmTask(o: GenRMTaskOptions): Task {
  const byPair = new Map<string, JudgePrompt[]>();
  for (const p of o.prompts) byPair.set(p.pairId, [...(byPair.get(p.pairId) ?? []), p]);
  const pairIds = [...byPair.keys()];
  const asJudge = (p: PromptItem) => p as JudgePrompt;
  // Each reply parsed once, without the position weight (that needs the step's rate first).
  const assess = (prompts: PromptItem[], groups: string[][]) =>
    prompts.map((p, g) =>
      groups[g].map((reply) =>
        assessReply({ reply, preferred: asJudge(p).preferred, template: o.template }, o.reward),
      ),
    );
  return {
    name: `genrm-rlvr: ${o.estimator} on ${pairIds.length} pairs (template ${o.template})`,
    drawPrompts(step, count, round) {
      const k = Math.max(1, Math.min(pairIds.length, Math.floor(count / 2)));
      const pick = sampleWithoutReplacement(pairIds.length, k, seededRandom(o.seed, "pairs", step, round));
      return pick.flatMap((i) => byPair.get(pairIds[i])!);
    },
    async scoreGroup(prompt, responses) {
      return this.scoreStep!([prompt], [responses])[0];
    },
    scoreStep(prompts, groups) {
      const assessed = assess(prompts, groups);
      // The step's first-position rate, from every reply that parsed.
      const rate = firstPositionShare(assessed.flat());
      return assessed.map((replies) => {
        const rewards = replies.map((r) => weighForPosition(r, rate, o.reward).reward);
        const est: GroupAdvantages = scalarAdvantages(o.estimator, rewards);
        // Dynamic sampling (DAPO): a group whose rewards are all equal teaches nothing; drop it.
        if (rewards.every((r) => r === rewards[0]))
          return { ...est, dropped: true, advantages: rewards.map(() => 0) };
        return est;
      });
    },
    progress(m) {
      const f = figure;
      return `judge acc ${f(m.genrm_accuracy)} cons ${f(m.genrm_consistency)} first ${f(m.genrm_first_position_rate)} fmt-fail ${f(m.genrm_format_failures)} words ${f(m.genrm_critique_words, 1)} reward ${f(m.genrm_reward_mean)} | drop ${m.dropped_groups}/${m.groups} refills ${m.dynamic_refills ?? 0}`;
    },
    stepMetrics(prompts, groups) {
      const assessed = assess(prompts, groups);
      const all = assessed.flat();
      const ok = all.filter((r) => r.format);
      const words = groups.flat().reduce((s, reply) => s + (reply.match(/\S+/g)?.length ?? 0), 0);
      // Consistency: for each pair with both orders in the step, does the modal verdict name the same response?
      const modal = new Map<string, Map<string, "a" | "b" | "tie">>();
      prompts.forEach((p, g) => {
        const jp = asJudge(p);
        const counts = { a: 0, b: 0, tie: 0 };
        for (const r of assessed[g]) {
          if (!r.picked) continue;
          if (r.picked === "tie") counts.tie++;
          else counts[(r.picked === "first") === (jp.order === "ab") ? "a" : "b"]++;
        }
        const best = (Object.entries(counts) as ["a" | "b" | "tie", number][]).sort((x, y) => y[1] - x[1])[0];
        if (best[1] > 0) modal.set(jp.pairId, (modal.get(jp.pairId) ?? new Map()).set(jp.order, best[0]));
      });
      const both = [...modal.values()].filter((m) => m.size === 2);
      const share = (n: number, d: number) => (d ? n / d : null);
      return {
        genrm_accuracy: share(ok.filter((r) => r.correct).length, all.length),
        genrm_format_failures: share(all.length - ok.length, all.length),
        genrm_first_position_rate: firstPositionShare(all),
        genrm_consistency: share(both.filter((m) => m.get("ab") === m.get("ba")).length, both.length),
        genrm_critique_words: share(words, all.length),
        genrm_reward_mean: share(
          all.reduce((s, r) => s + r.reward, 0),
          all.length,
        ),
      };
    },
  };
}
