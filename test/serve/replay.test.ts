// /get_reward under real training traffic: prompts recur every epoch, short answers repeat, labels
// are reused, the judge has outages, the service restarts. Every request is answered once; a retry
// gets its first answer; anything else is judged afresh.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import type { PairwiseJudge, Verdict } from "../../src/judge/types.ts";
import { createRewardService, type ServiceOptions } from "../../src/serve/app.ts";
import { verdictFrom } from "../helpers/judges.ts";

const wrap = (p: string) => `<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`;
const PROMPTS = [
  "Write a line about rain. Include the word umbrella. Use at most 8 words.",
  "Write a line about snow. Include the word sled. Use at most 8 words.",
];

/** The rule judge, counting its comparisons; `down` makes every comparison fail. */
function countingJudge(): PairwiseJudge & { calls: number; down: boolean } {
  const rules = new RuleJudge();
  const j = {
    name: "counting-rules",
    calls: 0,
    down: false,
    async compare(p: string, a: string, b: string): Promise<Verdict> {
      j.calls++;
      return j.down ? verdictFrom([null, null], a, b) : rules.compare(p, a, b);
    },
  };
  return j;
}

function service(judge: PairwiseJudge, extra: Partial<ServiceOptions> = {}) {
  const s = createRewardService({ judge, groupSize: 4, groupDeadlineMs: 2000, ...extra });
  const post = async (body: unknown) => {
    const res = await s.app.request("/get_reward", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      json: (await res.json()) as { rewards: number[]; error?: string; extra_logs: Record<string, number[]> },
    };
  };
  return { s, post };
}

/** One sample per request, as an engine with per-sample calls sends them. */
function sampleBody(prompt: string, text: string, label?: string) {
  const p = wrap(prompt);
  return { query: [`${p}${text}<|im_end|>`], prompts: [p], labels: [label ?? null] };
}

// Epoch e's responses: short answers repeat across epochs and inside a group.
const responsesOf = (epoch: number, g: number) => [
  "Rain.",
  "Rain.",
  `Umbrella weather, epoch ${epoch} group ${g}.`,
  epoch === 0 ? "Grey rain on my umbrella." : `A new line ${epoch}.`,
];

describe("multi-epoch replay", () => {
  for (const mode of ["prompt", "label"] as const) {
    test(`${mode} mode: each epoch's groups are judged afresh; retries get their first answer`, async () => {
      const judge = countingJudge();
      const { s, post } = service(judge, { groupKey: mode });
      const perGroupCalls = 4 - 1; // BRPO: each member against the reference (both orders inside)
      for (let epoch = 0; epoch < 3; epoch++) {
        const before = judge.calls;
        const bodies = PROMPTS.flatMap((p, g) =>
          responsesOf(epoch, g).map((t, i) =>
            sampleBody(p, t, mode === "label" ? `grp${g}#${i}` : undefined),
          ),
        );
        const answers = await Promise.all(bodies.map(post));
        for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.json));
        assert.equal(
          judge.calls - before,
          PROMPTS.length * perGroupCalls,
          `epoch ${epoch}: every group judged`,
        );
        // One reference per group among the answers
        for (let g = 0; g < PROMPTS.length; g++)
          assert.equal(
            answers.slice(4 * g, 4 * g + 4).reduce((n, a) => n + a.json.extra_logs.is_reference[0], 0),
            1,
          );
        // A retry: the same request again, the same answer, no judging.
        const callsBefore = judge.calls;
        const again = await post(bodies[2]);
        assert.deepEqual(again.json, answers[2].json);
        assert.equal(judge.calls, callsBefore);
      }
      await s.close();
    });
  }
});

test("a restarted service answers retries exactly as before, from its state file", async () => {
  const state = join(mkdtempSync(join(tmpdir(), "wz-state-")), "serve.sqlite");
  const first = countingJudge();
  const a = service(first, { stateFile: state });
  const bodies = responsesOf(0, 0).map((t) => sampleBody(PROMPTS[0], t));
  const answers = await Promise.all(bodies.map(a.post));
  await a.s.close();
  const second = countingJudge();
  const b = service(second, { stateFile: state });
  const replayed = await Promise.all([...bodies].reverse().map(b.post));
  assert.deepEqual(
    replayed.reverse().map((r) => r.json),
    answers.map((r) => r.json),
  );
  assert.equal(second.calls, 0, "nothing judged again");
  await b.s.close();
});

test("the same set of samples gets the same rewards whatever their arrival order", async () => {
  const texts = responsesOf(1, 0);
  const run = async (order: number[]) => {
    const { s, post } = service(countingJudge());
    const out = await Promise.all(order.map((i) => post(sampleBody(PROMPTS[0], texts[i]))));
    await s.close();
    const byText = new Map<number, number>();
    order.forEach((i, k) => {
      byText.set(i, out[k].json.rewards[0]);
    });
    return [0, 1, 2, 3].map((i) => byText.get(i));
  };
  assert.deepEqual(await run([0, 1, 2, 3]), await run([3, 2, 1, 0]));
});

test("a judge outage: the group is dropped (all 0, flagged), and a retry after recovery is judged", async () => {
  const judge = countingJudge();
  judge.down = true;
  const { s, post } = service(judge);
  const bodies = responsesOf(0, 0).map((t) => sampleBody(PROMPTS[0], t));
  const during = await Promise.all(bodies.map(post));
  for (const a of during) {
    assert.equal(a.status, 200);
    assert.equal(a.json.rewards[0], 0, "no reward from a group nobody judged: the reference does not win");
    assert.equal(a.json.extra_logs.masked[0], 1);
    assert.equal(a.json.extra_logs.dropped[0], 1);
  }
  judge.down = false;
  const before = judge.calls;
  const after = await Promise.all(bodies.map(post));
  assert.ok(judge.calls > before, "the masked answers were not remembered: judged again");
  for (const a of after) assert.equal(a.json.extra_logs.masked[0], 0, "judged this time");
  await s.close();
});

test("limits: bytes waiting at the barrier, and responses per group", async () => {
  const { s, post } = service(new RuleJudge(), { maxPendingBytes: 100 });
  const big = await post(sampleBody(PROMPTS[0], "x".repeat(200)));
  assert.equal(big.status, 429);
  assert.match(big.json.error ?? "", /limit 100 bytes/);
  const res = await s.app.request("/v1/score_group", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Write.", responses: Array.from({ length: 300 }, (_, i) => `r${i}`) }),
  });
  assert.equal(res.status, 413);
  assert.match(
    ((await res.json()) as { error: string }).error,
    /300 responses in one group; this service takes at most 256/,
  );
  await s.close();
});
