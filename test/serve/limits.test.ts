// Judge work one request can cause is bounded, and a judge that computes on the event loop (the
// rule judge) leaves the service responsive: each limit is refused with 413 naming the field
// before any judge call, and /healthz is answered while a group of maximal responses is judged.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import type { PairwiseJudge } from "../../src/judge/types.ts";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";
import { writingTask } from "../../src/recipes/writing-rl/task.ts";
import { judgeCallsFor as judgeCalls } from "../../src/rl/estimators/index.ts";
import { type StartedService, startService } from "../helpers/service.ts";

/** The service as these tests run it: groups that give up after 2 s. */
const start = (options: Parameters<typeof startService>[0]) =>
  startService({ groupDeadlineMs: 2000, ...options });

/** The rule judge, counting the comparisons it is asked for. */
class CountingJudge implements PairwiseJudge {
  readonly inner = new RuleJudge();
  readonly name = this.inner.name;
  readonly cpuBound = true;
  comparisons = 0;
  compare(prompt: string, a: string, b: string) {
    this.comparisons++;
    return this.inner.compare(prompt, a, b);
  }
}

const PROMPT = "Write a line about rain. Include the word umbrella. Use at most 8 words.";
const chat = (p: string) => `<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`;

describe("judge calls a request may cause", () => {
  const judge = new CountingJudge();
  let s: StartedService;
  before(async () => {
    s = await start({ judge, maxGroupSize: 16, maxJudgeCallsPerRequest: 100, maxResponseChars: 1000 });
  });
  after(() => s.close());

  test("the count per group: 2(n-1) for BRPO, n(n-1) all-pairs, n for scalar estimators", () => {
    assert.equal(judgeCalls("brpo", 16), 30);
    assert.equal(judgeCalls("all-pairs", 4), 12);
    assert.equal(judgeCalls("grpo", 8), 8);
  });

  test("/get_reward: a group_size over --max-group-size is refused before it waits or judges", async () => {
    const r = await s.post("/get_reward", {
      query: [`${chat(PROMPT)}Rain on my umbrella.`],
      prompts: [chat(PROMPT)],
      group_size: 10_000,
    });
    assert.equal(r.status, 413);
    assert.match(r.json.error!, /^group_size: responses: 10000 responses in one group; .* at most 16/);
    const label = await s.post("/get_reward", {
      query: [`${chat(PROMPT)}Rain.`],
      prompts: [chat(PROMPT)],
      labels: ["g1@17"],
    });
    assert.equal(label.status, 413);
    assert.match(label.json.error!, /^labels\[0\]: responses: 17 responses/);
    assert.equal(judge.comparisons, 0);
  });

  test("/v1/score_groups: many small groups over the call limit are refused whole", async () => {
    // 8 groups of 8: 8 x 14 = 112 calls > 100, though every group is within --max-group-size.
    const groups = Array.from({ length: 8 }, (_, g) => ({
      prompt: PROMPT,
      responses: Array.from({ length: 8 }, (_, i) => `Rain ${g} taps umbrella ${i}.`),
    }));
    const r = await s.post("/v1/score_groups", { groups });
    assert.equal(r.status, 413);
    assert.match(r.json.error!, /8 groups would make 112 judge calls; .* at most 100 .*--max-judge-calls/);
    assert.equal(judge.comparisons, 0);
    // 7 such groups (98 calls) pass: the limit counts calls, not groups.
    const ok = await s.post("/v1/score_groups", { groups: groups.slice(0, 7) });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(judge.comparisons, 7 * 7);
  });

  test("a response over --max-response-chars is refused, naming it, on every route", async () => {
    const long = "rain ".repeat(201); // 1005 characters
    const compare = await s.post("/v1/compare", { prompt: PROMPT, response_a: "Rain.", response_b: long });
    assert.equal(compare.status, 413);
    assert.match(compare.json.error!, /^response_b: 1005 characters; .* at most 1000/);
    const group = await s.post("/v1/score_group", { prompt: PROMPT, responses: ["Rain.", long] });
    assert.match(group.json.error!, /^responses\[1\]: 1005 characters/);
    const reward = await s.post("/get_reward", {
      query: [`${chat(PROMPT)}${long}`],
      prompts: [chat(PROMPT)],
    });
    assert.equal(reward.status, 413);
    assert.match(reward.json.error!, /^query\[0\]: \d+ characters; .* at most 1000/);
  });
});

describe("a judge on the event loop leaves the service responsive", () => {
  let s: StartedService;
  before(async () => {
    s = await start({ judge: new RuleJudge() });
  });
  after(() => s.close());

  test("/healthz is answered while a group of 64 maximal responses is judged", async () => {
    // Each response is at the default limit (32,768 characters) and a repetition loop, the
    // rule judge's worst case: 63 comparisons of two such responses.
    const responses = Array.from({ length: 64 }, (_, i) => `${i} ${"rain ".repeat(6_552)}`);
    assert.ok(responses.every((r) => r.length <= 32_768 && r.length > 32_000));
    let judged = false;
    const group = s.post("/v1/score_group", { prompt: PROMPT, responses }).then((r) => {
      judged = true;
      return r;
    });
    // Wait until the service is busy judging: the first health check after the body is read.
    await new Promise((r) => setTimeout(r, 300));
    const latencies: number[] = [];
    let answeredDuringJudging = 0;
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      const res = await fetch(`${s.url}/healthz`);
      assert.equal(res.status, 200);
      await res.json();
      latencies.push(performance.now() - t);
      if (!judged) answeredDuringJudging++;
    }
    const r = await group;
    assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 300));
    console.log(`/healthz during judging: ${latencies.map((l) => l.toFixed(0)).join(", ")} ms`);
    // Ordering, not timing: the health checks were answered before the group's reply. A service
    // that judged the group in one stretch answers them only after it.
    assert.equal(answeredDuringJudging, 5, `latencies ${latencies}`);
  });
});

describe("/get_reward samples without a request", () => {
  test("are refused with 400 naming the sample, never pooled into one group", async () => {
    const judge = new CountingJudge();
    const s = await start({ judge, groupSize: 2 });
    try {
      // Plain text, no prompts field, no chat markers: there is no request to judge against.
      const answers = await Promise.all(
        ["Rain on the roof.", "Sun on the hill."].map((t) => s.post("/get_reward", { query: [t] })),
      );
      for (const a of answers) {
        assert.equal(a.status, 400);
        assert.match(a.json.error!, /^query\[0\]: no request found: send prompts\[0\]/);
      }
      // With the prompt field the same texts are judged.
      const ok = await Promise.all(
        ["Rain on the umbrella.", "Sun."].map((t) =>
          s.post("/get_reward", { query: [`${chat(PROMPT)}${t}`], prompts: [chat(PROMPT)] }),
        ),
      );
      for (const a of ok) assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(judge.comparisons, 1);
    } finally {
      await s.close();
    }
  });
});

describe("a client that leaves", () => {
  test("frees its place in a filling group, and the bytes it held", async () => {
    const s = await start({ judge: new RuleJudge(), groupSize: 4, groupDeadlineMs: 60_000 });
    try {
      const leaving = new AbortController();
      const body = { query: [`${chat(PROMPT)}Rain on my umbrella.`], prompts: [chat(PROMPT)] };
      const gone = fetch(`${s.url}/get_reward`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: leaving.signal,
      }).catch((e: Error) => e.name);
      for (let k = 0; k < 100 && s.service.barrier.pendingSamples === 0; k++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(s.service.barrier.pendingSamples, 1);
      assert.ok(s.service.barrier.pendingBytes > 0);
      leaving.abort();
      assert.equal(await gone, "AbortError");
      for (let k = 0; k < 100 && s.service.barrier.pendingSamples > 0; k++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(s.service.barrier.pendingSamples, 0);
      assert.equal(s.service.barrier.pendingBytes, 0);
      assert.equal(s.service.barrier.pendingGroups, 0);
      assert.equal(s.service.barrier.samplesAbandoned, 1);
    } finally {
      await s.close();
    }
  });
});

describe("the service's BRPO is wz train's", () => {
  test("references, sub-groups, tie and inconsistent give the same advantages as the training task", async () => {
    const config = parseTrainConfig(
      "seed: 5\nestimator: {name: brpo, tie: 0, inconsistent: 0, references: 2, subgroup_size: 3, skew_threshold: 0.9}\n",
    );
    const judge = new RuleJudge();
    const task = writingTask({ judge, estimator: config.estimator, seed: config.seed });
    const responses = [
      "Rain.",
      "Rain on my umbrella.",
      "An umbrella in the grey rain.",
      "Sun.",
      "Umbrella!",
      "The umbrella kept the rain off.",
      "Rain, rain.",
    ];
    const trained = await task.scoreGroup({ id: "p", prompt: PROMPT }, responses, { step: 3, group: 2 });
    const s = await start({
      judge,
      tie: 0,
      inconsistent: 0,
      references: 2,
      subgroupSize: 3,
      skewThreshold: 0.9,
    });
    try {
      const r = await s.post("/v1/score_group", { prompt: PROMPT, responses, seed: 5, step: 3, group_id: 2 });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.deepEqual(r.json.advantages, trained.advantages);
      assert.deepEqual(r.json.reference_indices ?? r.json.referenceIndices, trained.referenceIndices);
      // Two references in sub-groups of 3, 3 and 1: 2 x 2 x 2 x 2 = 16 judge calls, as declared.
      assert.equal(judgeCalls("brpo", responses.length, { references: 2, subgroupSize: 3 }), 16);
    } finally {
      await s.close();
    }
  });
});
