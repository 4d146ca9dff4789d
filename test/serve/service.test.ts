import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import { createJudge } from "../../src/recipes/judges/index.ts";
import { extractResponse, extractResponseParts, extractUserPrompt } from "../../src/serve/openrlhf.ts";
import { startWz } from "../helpers/cli.ts";
import { type ScriptedServer, shownResponses, startScriptedServer } from "../helpers/scripted-server.ts";
import { startService } from "../helpers/service.ts";

const PROMPT = "Write a line about rain. Include the word umbrella. Use at most 8 words.";
const qwenPrompt = (p: string) =>
  `<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`;

describe("OpenRLHF query parsing", () => {
  test("a reasoning block is cut only where the template opens one", () => {
    const prompt = qwenPrompt(PROMPT);
    // A </think> the policy wrote itself hides nothing: the insult before it is judged.
    const planted = extractResponseParts(
      `${prompt}You are a fool. </think>Rain on my umbrella.<|im_end|>`,
      prompt,
    );
    assert.deepEqual(planted, {
      response: "You are a fool. </think>Rain on my umbrella.",
      reasoningStripped: false,
    });
    // The assistant turn opens with <think>: reasoning, cut.
    assert.deepEqual(extractResponseParts(`${prompt}<think>plan it</think>\nRain falls.<|im_end|>`, prompt), {
      response: "Rain falls.",
      reasoningStripped: true,
    });
    // The template's generation prompt leaves the block open (Qwen3's thinking template).
    const thinking = `${prompt}<think>\n`;
    assert.deepEqual(extractResponseParts(`${thinking}plan it</think>\n\nRain falls.`, thinking), {
      response: "Rain falls.",
      reasoningStripped: true,
    });
  });

  test("recovers the response and the user prompt from Qwen-templated text", () => {
    const prompt = qwenPrompt(PROMPT);
    const query = `${prompt}Rain taps my umbrella softly.<|im_end|>\n<|endoftext|>`;
    assert.equal(extractResponse(query, prompt), "Rain taps my umbrella softly.");
    assert.equal(extractUserPrompt(prompt), PROMPT);
    // Without the prompt field, the last assistant marker is used; reasoning is dropped.
    assert.equal(
      extractResponse(`${prompt}<think>plan</think>\nWet streets shine.<|im_end|>`, undefined),
      "Wet streets shine.",
    );
  });
});

describe("reward service over real HTTP (rule-based judge)", () => {
  let s: Awaited<ReturnType<typeof startService>>;
  before(async () => {
    s = await startService({
      judge: new RuleJudge(),
      scorer: (p, r) => new RuleJudge().score(p, r),
      groupDeadlineMs: 400,
    });
  });
  after(() => s.close());

  test("/v1/compare returns the verdict", async () => {
    const r = await s.post("/v1/compare", {
      prompt: PROMPT,
      response_a: "Rain drums on my umbrella.",
      response_b: "Rain falls.",
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.outcome, "a");
    assert.equal(r.json.conditions.length, 2);
  });

  test("/v1/score_group returns BRPO advantages with the reference at 0", async () => {
    const responses = [
      "Rain drums on my umbrella.",
      "Rain falls.",
      "Grey rain.",
      "Under my umbrella the rain hums.",
    ];
    const r = await s.post("/v1/score_group", { prompt: PROMPT, responses, seed: 3, group_id: "g1" });
    assert.equal(r.status, 200);
    const ref = r.json.reference_index;
    assert.equal(r.json.advantages[ref], 0);
    const judge = new RuleJudge();
    r.json.advantages.forEach((a: number, i: number) => {
      if (i === ref) return;
      const expected = judge.score(PROMPT, responses[i]) > judge.score(PROMPT, responses[ref]) ? 1 : -1;
      assert.equal(a, r.json.dropped ? 0 : expected);
    });
    assert.equal(r.json.comparisons.length, 3);
    // Same seed and group id: the same reference.
    const again = await s.post("/v1/score_group", { prompt: PROMPT, responses, seed: 3, group_id: "g1" });
    assert.equal(again.json.reference_index, ref);
  });

  test("/v1/score_groups scores a batch, including scalar estimators", async () => {
    const r = await s.post("/v1/score_groups", {
      groups: [
        { prompt: PROMPT, responses: ["Rain on my umbrella.", "Rain."] },
        { prompt: PROMPT, responses: ["Rain on my umbrella.", "Rain."], estimator: "drgrpo" },
      ],
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.results.length, 2);
    assert.equal(r.json.results[1].estimator, "drgrpo");
    assert.ok(r.json.results[1].advantages[0] > 0 && r.json.results[1].advantages[1] < 0);
  });

  test("bad input is a 4xx that names the field", async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ["/v1/compare", { prompt: "p", response_a: "x" }, 400, /response_b/],
      ["/v1/compare", { prompt: 3, response_a: "x", response_b: "y" }, 400, /prompt/],
      ["/v1/score_group", { prompt: "p", responses: [] }, 400, /responses/],
      ["/v1/score_group", { prompt: "p", responses: ["only one"] }, 400, /responses.*at least 2/],
      ["/v1/score_group", { prompt: "p", responses: ["a", "b"], estimator: "ppo" }, 400, /estimator/],
      ["/v1/score_groups", { groups: [] }, 400, /groups/],
      ["/get_reward", { query: "not a list" }, 400, /query/],
      ["/v1/compare", "{not json", 400, /not valid JSON/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await s.post(path, body);
      assert.equal(r.status, status, `${path} ${JSON.stringify(body)}`);
      assert.match(r.json.error, message);
    }
  });

  test("an oversized body is refused with 413", async () => {
    const small = await startService({ judge: new RuleJudge(), bodyLimitBytes: 1000 });
    const r = await small.post("/v1/compare", { prompt: "x".repeat(5000), response_a: "a", response_b: "b" });
    assert.equal(r.status, 413);
    await small.close();
  });

  test("/get_reward: a group barrier answers each sample with its own reward", async () => {
    const prompt = qwenPrompt(PROMPT);
    const texts = [
      "Rain drums on my umbrella.",
      "Rain falls.",
      "Grey rain on grey roofs.",
      "My umbrella hums in the rain.",
    ];
    const answers = await Promise.all(
      texts.map((t) =>
        s.post("/get_reward", { query: [`${prompt}${t}<|im_end|>`], prompts: [prompt], labels: [null] }),
      ),
    );
    for (const a of answers) assert.equal(a.status, 200);
    const rewards = answers.map((a) => a.json.rewards[0]);
    const refs = answers.map((a) => a.json.extra_logs.is_reference[0]);
    assert.equal(refs.filter((x: number) => x === 1).length, 1);
    assert.equal(rewards[refs.indexOf(1)], 0);
    // A retry (the same request again) gets the same answer, not a new slot.
    const retry = await s.post("/get_reward", {
      query: [`${prompt}${texts[1]}<|im_end|>`],
      prompts: [prompt],
      labels: [null],
    });
    assert.equal(retry.json.rewards[0], rewards[1]);
  });

  test("/get_reward: group_size in the body fills a group of another size (an engine's evaluation)", async () => {
    const prompt = qwenPrompt("Write about hail. Use at most 6 words.");
    const texts = ["Hail taps the tin roof.", "Hail."];
    const answers = await Promise.all(
      texts.map((t) =>
        s.post("/get_reward", { query: [`${prompt}${t}<|im_end|>`], prompts: [prompt], group_size: 2 }),
      ),
    );
    // The service's size is 4: without group_size these two would wait for their deadline.
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.deepEqual(answers.map((a) => a.json.extra_logs.is_reference[0]).sort(), [0, 1]);
    const one = await s.post("/get_reward", {
      query: [`${prompt}x<|im_end|>`],
      prompts: [prompt],
      group_size: 1,
    });
    assert.equal(one.status, 400);
    assert.match(one.json.error, /group_size must be at least 2/);
  });

  test("/get_reward: a group that does not fill is rejected, naming the group and the count", async () => {
    const prompt = qwenPrompt("Write about snow.");
    const r = await s.post("/get_reward", { query: [`${prompt}Snow.<|im_end|>`], prompts: [prompt] });
    assert.equal(r.status, 504);
    assert.match(r.json.error, /group "Write about snow\." got 1 of 4 samples/);
  });

  test("/metrics reports requests, judge calls and queue depth", async () => {
    // Deltas over this test's own requests: nothing depends on what earlier tests left behind.
    const read = async () => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const value = (re: RegExp) => Number(text.match(re)?.[1] ?? Number.NaN);
      return {
        text,
        compares: value(/wz_requests_total\{route="\/v1\/compare"\} (\d+)/),
        calls: value(/wz_judge_calls_total (\d+)/),
        expired: value(/wz_groups_expired_total (\d+)/),
      };
    };
    const before = await read();
    await s.post("/v1/compare", { prompt: PROMPT, response_a: "Rain.", response_b: "Rain on my umbrella." });
    const prompt = qwenPrompt("Write about hail.");
    assert.equal(
      (await s.post("/get_reward", { query: [`${prompt}Hail.<|im_end|>`], prompts: [prompt] })).status,
      504,
    );
    const after = await read();
    assert.equal(after.compares - (Number.isNaN(before.compares) ? 0 : before.compares), 1);
    assert.equal(after.calls - before.calls, 2, "one comparison, both orders");
    assert.equal(after.expired - before.expired, 1);
    const text = after.text;
    assert.match(text, /wz_queue_samples_waiting 0/);
  });
});

describe("reward service with a GenRM judge on a scripted server", () => {
  let judgeServer: ScriptedServer;
  let s: Awaited<ReturnType<typeof startService>>;
  before(async () => {
    judgeServer = await startScriptedServer((call) => {
      const { first, second } = shownResponses(call);
      if (first.includes("BROKEN") || second.includes("BROKEN")) return { content: "no verdict here" };
      return { content: `\\boxed{${first.length % 10}, ${second.length % 10}}` };
    });
    const built = createJudge({
      kind: "genrm",
      baseUrls: [judgeServer.url],
      model: "scripted",
      cache: null,
      parseRetries: 0,
    });
    s = await startService({ judge: built.judge, judgeWithVotes: built.withVotes, token: "secret" });
  });
  after(async () => {
    await s.close();
    await judgeServer.close();
  });

  test("the bearer token is required", async () => {
    const r = await s.post("/v1/compare", { prompt: "p", response_a: "abc", response_b: "a" });
    assert.equal(r.status, 401);
    const ok = await s.post(
      "/v1/compare",
      { prompt: "p", response_a: "abc", response_b: "a", votes: 2 },
      { authorization: "Bearer secret" },
    );
    assert.equal(ok.status, 200);
    assert.equal(
      ok.json.outcome,
      "a",
      JSON.stringify(
        ok.json.conditions.map((c: { error: string; errorDetail: string }) => [c.error, c.errorDetail]),
      ),
    );
    assert.equal(ok.json.conditions.length, 4);
  });

  test("a judge failure masks the sample: /get_reward gives 0 (not a loss) with the masked flag", async () => {
    const prompt = qwenPrompt("Write a haiku.");
    const texts = ["one", "BROKEN two", "three!", "four"];
    const answers = await Promise.all(
      texts.map((t) =>
        s.post(
          "/get_reward",
          { query: [`${prompt}${t}<|im_end|>`], prompts: [prompt] },
          { authorization: "Bearer secret" },
        ),
      ),
    );
    const broken = answers[1].json;
    if (broken.extra_logs.is_reference[0] === 1) {
      // The broken sample was drawn as reference: every other comparison failed and was masked.
      const others = answers.filter((_, i) => i !== 1);
      assert.ok(others.every((a) => a.json.extra_logs.masked[0] === 1 && a.json.rewards[0] === 0));
    } else {
      assert.equal(broken.extra_logs.masked[0], 1);
      assert.equal(broken.rewards[0], 0);
    }
  });
});

describe("/get_reward group sizes from labels", () => {
  test('a label "GROUP@N" fills a group of N; a sample asking another size than its group is refused', async () => {
    const s = await startService({
      judge: new RuleJudge(),
      groupSize: 8,
      groupDeadlineMs: 5000,
      groupKey: "label",
    });
    const prompt = qwenPrompt("Write about frost.");
    const post = (text: string, label: string) =>
      s.post("/get_reward", { query: [`${prompt}${text}<|im_end|>`], prompts: [prompt], labels: [label] });
    const three = await Promise.all([
      post("Frost.", "e1@3"),
      post("White frost.", "e1#1@3"),
      post("Frost bites.", "e1@3"),
    ]);
    for (const a of three) assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(three.filter((a) => a.json.extra_logs.is_reference[0] === 1).length, 1);
    const first = post("Cold frost.", "e2@2");
    // The clash must arrive after the group exists: wait until its first sample is waiting.
    for (let k = 0; k < 500 && s.service.barrier.pendingSamples === 0; k++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(s.service.barrier.pendingSamples, 1);
    const clash = await post("Frost again.", "e2@3");
    assert.equal(clash.status, 400);
    assert.match(clash.json.error, /filling to 2 samples; this sample asks for 3/);
    const second = await post("Frost glitters.", "e2@2");
    assert.equal(second.status, 200);
    assert.equal((await first).status, 200);
    const single = await post("Frost.", "e3@1");
    assert.equal(single.status, 400);
    assert.match(single.json.error, /asks for a group of 1; BRPO needs at least 2/);
    await s.close();
  });
});

describe("load: 2,000 /get_reward requests from 100 clients in groups of 8", () => {
  test("every request gets exactly one answer; nothing is lost, duplicated or left waiting", async () => {
    const s = await startService({
      judge: new RuleJudge(),
      groupSize: 8,
      groupDeadlineMs: 30_000,
      groupKey: "label",
    });
    const total = 2000;
    const requests = Array.from({ length: total }, (_, i) => {
      const group = Math.floor(i / 8);
      const member = i % 8;
      const prompt = qwenPrompt(`Write about item ${group}. Include the word blue.`);
      const text = `${"Blue ".repeat(member % 3)}thing number ${member} for item ${group}.`;
      return {
        group,
        member,
        body: { query: [`${prompt}${text}<|im_end|>`], prompts: [prompt], labels: [`g${group}#${member}`] },
      };
    });
    // Interleave the groups within blocks of 96 requests (12 groups): with 100 clients each
    // waiting on its own group, every member of a block is in flight together, as when an engine
    // sends a batch concurrently.
    const hash = (r: { group: number; member: number }) => (r.group * 7919 + r.member * 104729) % 2003;
    requests.sort((a, b) => Math.floor(a.group / 12) - Math.floor(b.group / 12) || hash(a) - hash(b));
    const results = new Map<string, number>();
    let answered = 0;
    let next = 0;
    const rssBefore = process.memoryUsage().rss;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < total) {
          const r = requests[next++];
          const res = await s.post("/get_reward", r.body);
          assert.equal(res.status, 200, JSON.stringify(res.json));
          assert.equal(res.json.rewards.length, 1);
          const key = `${r.group}#${r.member}`;
          assert.ok(!results.has(key), `duplicate answer for ${key}`);
          results.set(key, res.json.rewards[0]);
          answered++;
        }
      }),
    );
    assert.equal(answered, total);
    assert.equal(results.size, total);
    // Each group of 8 has exactly one reference (reward 0) unless it was dropped (all 0).
    for (let g = 0; g < total / 8; g++) {
      const rewards = Array.from({ length: 8 }, (_, m) => results.get(`${g}#${m}`)!);
      assert.ok(rewards.every((x) => x === 0 || x === 1 || x === -1));
      assert.ok(rewards.filter((x) => x === 0).length >= 1);
    }
    assert.equal(s.service.barrier.pendingSamples, 0);
    assert.equal(s.service.barrier.pendingGroups, 0);
    assert.equal(s.service.barrier.groupsScored, total / 8);
    // Bounded memory: the service keeps answers for retries, not an ever-growing queue.
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024);
    await s.close();
  });
});

describe("wz serve as a process", () => {
  test("starts, answers /healthz, and shuts down cleanly on SIGTERM", async () => {
    const cfg = join(mkdtempSync(join(tmpdir(), "wz-serve-")), "judge.yaml");
    writeFileSync(cfg, "judge:\n  kind: rules\n");
    const { url, process: child } = await startWz(["serve", "--judge-config", cfg]);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean; judge: string };
    assert.equal(health.ok, true);
    assert.equal(health.judge, "rules:wz-rules-v2");
    const code = await new Promise<number | null>((resolve) => {
      child.on("exit", resolve);
      child.kill("SIGTERM");
    });
    assert.equal(code, 0);
  });
});

describe("GenRM reward over real HTTP (training a judge with an outside engine)", () => {
  test("/v1/genrm_reward gives the reward of docs/genrm-training.md, the batch's own bias weight", async () => {
    const s = await startService({ judge: new RuleJudge() });
    try {
      const r = await s.post("/v1/genrm_reward", {
        items: [
          { reply: "1: good.\n2: bad.\n\\boxed{8, 2}", preferred: "first" }, // right, gap 6: 1.5
          { reply: "1: bad.\n2: good.\n\\boxed{3, 7}", preferred: "first" }, // wrong, gap 4: -1.4
          { reply: "no verdict", preferred: "second" }, // format: -1
          { reply: "1: a.\n2: b.\n\\boxed{2, 9}", preferred: "second" }, // right, gap 7: 1.5
        ],
        first_position_rate: 0.5,
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.reward_version, "wz-genrm-reward-v1");
      assert.deepEqual(
        r.json.rewards.map((x: number) => Math.round(x * 1000) / 1000),
        [1.5, -1.4, -1, 1.5],
      );
      // Without a rate, the batch's own: picks first, second, second of three decisive -> 1/3 first.
      const own = await s.post("/v1/genrm_reward", {
        items: [
          { reply: "1: good.\n2: bad.\n\\boxed{8, 2}", preferred: "first" },
          { reply: "1: x.\n2: y.\n\\boxed{3, 7}", preferred: "second" },
          { reply: "1: x.\n2: y.\n\\boxed{3, 7}", preferred: "second" },
        ],
      });
      // first: weight 0.5 / (1/3) = 1.5 -> 2.25; second: 0.5 / (2/3) = 0.75 -> 1.5 x 0.75 = 0.9 (gap 4: 1.4 x 0.75 = 1.05)
      assert.deepEqual(
        own.json.rewards.map((x: number) => Math.round(x * 1000) / 1000),
        [2.25, 1.05, 1.05],
      );
      const bad = await s.post("/v1/genrm_reward", { items: [{ reply: "x", preferred: "left" }] });
      assert.equal(bad.status, 400);
      assert.match(bad.json.error, /preferred/);
    } finally {
      await s.close();
    }
  });

  test("/get_reward in genrm mode scores each reply against the side its label names, no barrier", async () => {
    const s = await startService({ judge: new RuleJudge(), mode: "genrm" });
    try {
      const prompt = qwenPrompt(
        "Judge two responses to a writing request.\nRequest: r\nResponse 1: a\nResponse 2: b",
      );
      const r = await s.post("/get_reward", {
        query: [
          `${prompt}1: a.\n2: b.\n\\boxed{9, 1}<|im_end|>`,
          `${prompt}1: a.\n2: b.\n\\boxed{9, 1}<|im_end|>`,
        ],
        prompts: [prompt, prompt],
        labels: ["first", "second"],
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.rewards[0] > 0, true);
      assert.equal(r.json.rewards[1] < 0, true);
      assert.deepEqual(r.json.extra_logs.correct, [1, 0]);
      const missing = await s.post("/get_reward", { query: ["x"] });
      assert.equal(missing.status, 400);
      assert.match(missing.json.error, /labels/);
    } finally {
      await s.close();
    }
  });
});
