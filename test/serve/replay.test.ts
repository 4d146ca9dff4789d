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
        // A retry: the same request again (no step or epoch in it). It cannot be told from the
        // same text in a new group, so it waits as a sample of one; when no group forms by the
        // deadline it gets its first answer, flagged, with no judging.
        const callsBefore = judge.calls;
        const again = await post(bodies[2]);
        assert.deepEqual(again.json.rewards, answers[2].json.rewards);
        assert.deepEqual(again.json.extra_logs.is_reference, answers[2].json.extra_logs.is_reference);
        assert.deepEqual(again.json.extra_logs.from_memory, [1]);
        assert.deepEqual(answers[2].json.extra_logs.from_memory, [0]);
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
  // With the trainer's step in the body, a repeat of an answered request is a retry for certain.
  // (Four distinct texts: two identical requests are one request to any memory of answers.)
  const bodies = ["Rain.", "Rain on my umbrella.", "Grey rain, umbrella up.", "Umbrella weather."].map(
    (t) => ({
      ...sampleBody(PROMPTS[0], t),
      step: 7,
    }),
  );
  const answers = await Promise.all(bodies.map(a.post));
  // Without a step, a lone repeat is recognised as a retry at the group deadline.
  const plain = sampleBody(PROMPTS[1], "Snow on the sled.");
  const plainAnswers = await Promise.all(
    [plain, ...["Sled.", "Snow.", "White sled hill."].map((t) => sampleBody(PROMPTS[1], t))].map(a.post),
  );
  await a.s.close();
  const second = countingJudge();
  const b = service(second, { stateFile: state });
  const replayed = await Promise.all([...bodies].reverse().map(b.post));
  const strip = (j: { rewards: number[]; extra_logs: Record<string, number[]> }) => ({
    rewards: j.rewards,
    is_reference: j.extra_logs.is_reference,
    masked: j.extra_logs.masked,
  });
  assert.deepEqual(
    replayed.reverse().map((r) => strip(r.json)),
    answers.map((r) => strip(r.json)),
  );
  for (const r of replayed) assert.deepEqual(r.json.extra_logs.from_memory, [1]);
  const lone = await b.post(plain);
  assert.deepEqual(strip(lone.json), strip(plainAnswers[0].json));
  assert.deepEqual(lone.json.extra_logs.from_memory, [1]);
  assert.equal(second.calls, 0, "nothing judged again");
  await b.s.close();
});

test("a retried sample id shares its first copy's slot: no second place, the same answer", async () => {
  const judge = countingJudge();
  const { s, post } = service(judge, { groupKey: "label", groupDeadlineMs: 5000 });
  const texts = responsesOf(0, 0);
  const first = post(sampleBody(PROMPTS[0], texts[2], "g#2"));
  const retry = post(sampleBody(PROMPTS[0], texts[2], "g#2"));
  const others = [0, 1, 3].map((i) => post(sampleBody(PROMPTS[0], texts[i], `g#${i}`)));
  const all = await Promise.all([first, retry, ...others]);
  for (const a of all) assert.equal(a.status, 200, JSON.stringify(a.json));
  assert.deepEqual(all[1].json, all[0].json);
  assert.equal(judge.calls, 3, "one group of 4 judged");
  // The same id with another text while the group fills is a conflict, named.
  const again = post(sampleBody(PROMPTS[0], "one", "h#1"));
  const clash = await post(sampleBody(PROMPTS[0], "two", "h#1"));
  assert.equal(clash.status, 409);
  assert.match(clash.json.error ?? "", /sample "1" of group ".*h" is already waiting with another response/);
  await Promise.all(["a", "b", "c"].map((t, i) => post(sampleBody(PROMPTS[0], t, `h#${i + 2}`))));
  assert.equal((await again).status, 200);
  await s.close();
});

test("without step or epoch, a repeat that opens a new group is judged in it, never answered from the old one", async () => {
  const judge = countingJudge();
  const { s, post } = service(judge, { groupDeadlineMs: 5000, retryGraceMs: 200 });
  const epoch0 = responsesOf(0, 0).map((t) => sampleBody(PROMPTS[0], t));
  const first = await Promise.all(epoch0.map(post));
  assert.equal(judge.calls, 3);
  // Epoch 1: the first sample repeats an epoch-0 request byte for byte; its mates come later than
  // the retry grace period.
  const repeat = post(epoch0[3]);
  await new Promise((r) => setTimeout(r, 600));
  const mates = ["Rain again.", "Umbrella, epoch 1.", "A new line 1."].map((t) =>
    post(sampleBody(PROMPTS[0], t)),
  );
  const answers = await Promise.all([repeat, ...mates]);
  for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.json));
  assert.equal(judge.calls, 6, "the new group was judged");
  assert.deepEqual(answers[0].json.extra_logs.from_memory, [0]);
  assert.equal(
    answers.reduce((n, a) => n + a.json.extra_logs.is_reference[0], 0),
    1,
  );
  assert.equal(first.length, 4);
  await s.close();
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
  const { s, post } = service(new RuleJudge(), { maxPendingBytes: 1000 });
  const big = await post(sampleBody(PROMPTS[0], "x".repeat(2000)));
  assert.equal(big.status, 429);
  assert.match(big.json.error ?? "", /limit 1000 bytes/);
  // The prompt counts too: a short response under a long prompt holds the long prompt.
  const longPrompt = await post(sampleBody(`${PROMPTS[0]} ${"Be vivid. ".repeat(200)}`, "Rain."));
  assert.equal(longPrompt.status, 429);
  assert.match(longPrompt.json.error ?? "", /limit 1000 bytes/);
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
