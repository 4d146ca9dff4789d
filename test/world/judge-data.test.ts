// The GenRM's training pairs: which prompts they come from, and the minimal pairs. Each property
// is checked against the world's own tables and the gold's checks, computed here.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type GoldChecks,
  goldChecks,
  goldScore as goldScoreOf,
  parseGoldRequest,
} from "../../src/world/tiny-gold.ts";
import { makeJudgePairs } from "../../src/world/tiny-judge-data.ts";
import { META, TOPICS, WORDS } from "../../src/world/tiny-world.ts";

const topics = Object.keys(TOPICS);
/** The split of a topic/word combination, as constrained-writing.ts defines it: (t + w) mod 4. */
const splitOf = (topic: string, word: string) =>
  ["train", "eval", "pretrain", "pretrain"][(topics.indexOf(topic) + WORDS.indexOf(word)) % 4];

test("training pairs from several splits never use a held-out combination, and use both splits", () => {
  const pairs = makeJudgePairs(400, 3, ["pretrain", "train"]);
  const seen = new Set<string>();
  for (const p of pairs) {
    const req = parseGoldRequest(p.prompt)!;
    const split = splitOf(req.topic, req.word);
    assert.notEqual(split, "eval", p.prompt);
    seen.add(split);
  }
  assert.deepEqual([...seen].sort(), ["pretrain", "train"]);
  // one split alone stays in it
  for (const p of makeJudgePairs(100, 3, "pretrain")) {
    const req = parseGoldRequest(p.prompt)!;
    assert.equal(splitOf(req.topic, req.word), "pretrain");
  }
});

test("minimal pairs are off by default, and a share of them changes the pairs", () => {
  const plain = makeJudgePairs(200, 5, "pretrain");
  assert.deepEqual(makeJudgePairs(200, 5, "pretrain", { minimalShare: 0 }), plain);
  // A share above 0 draws from the same stream, so every later pair moves: the option is live.
  const half = makeJudgePairs(200, 5, "pretrain", { minimalShare: 0.5 });
  assert.equal(half.length, plain.length);
  assert.notDeepEqual(half, plain);
});

test("minimal pairs differ in one fact and the label picks the response that meets the request", () => {
  const pairs = makeJudgePairs(300, 7, ["pretrain", "train"], { minimalShare: 1 });
  assert.equal(pairs.length, 300);
  const twists = { word: 0, topic: 0 };
  const keys: (keyof GoldChecks)[] = [
    "fluent",
    "onTopic",
    "requiredWord",
    "length",
    "noCommentary",
    "noRepetition",
  ];
  for (const p of pairs) {
    const req = parseGoldRequest(p.prompt)!;
    const a = goldChecks(req, p.response_a);
    const b = goldChecks(req, p.response_b);
    const good = p.label === "a" ? a : b;
    const twin = p.label === "a" ? b : a;
    assert.ok(good.allMet, `${p.prompt} | ${p.label === "a" ? p.response_a : p.response_b}`);
    const differing = keys.filter((k) => a[k] !== b[k]);
    assert.equal(differing.length, 1, `${p.response_a} | ${p.response_b}`);
    if (!twin.requiredWord) twists.word++;
    if (!twin.onTopic) twists.topic++;
    // one sentence each, never a salad or a commentary
    assert.equal(p.response_a.split(". ").length, 1);
    assert.equal(p.response_b.split(". ").length, 1);
  }
  // both kinds of twist occur, each in a fair share (wrong word and no word both miss the word)
  assert.ok(twists.topic > 60 && twists.word > 140, JSON.stringify(twists));
  // the good response is first about half the time, so position carries no signal
  const first = pairs.filter((p) => p.label === "a").length;
  assert.ok(first > 110 && first < 190, String(first));
});

test("composed pairs cover the world broadly: 1-3 sentences, any word limit, labelled by the gold", () => {
  const pairs = makeJudgePairs(400, 7, ["pretrain", "train"], { composedShare: 1 });
  assert.equal(pairs.length, 400);
  const limits = new Set<number>();
  const sentences = new Set<number>();
  let sceneAgain = 0;
  let wordForWord = 0;
  for (const p of pairs) {
    assert.equal(p.kind, "composed");
    for (const r of [p.response_a, p.response_b]) {
      const lines = r.split(/(?<=\.)\s+/).filter((s) => !META.includes(s));
      const scenes = lines.map((l) => l.replace(/ near a \w+\.$/, "."));
      if (new Set(scenes).size < scenes.length) sceneAgain++;
      if (new Set(lines).size < lines.length && lines.some((l) => l.includes(" near a "))) wordForWord++;
    }
    const req = parseGoldRequest(p.prompt)!;
    limits.add(req.maxWords);
    for (const r of [p.response_a, p.response_b])
      sentences.add(r.split(/(?<=\.)\s+/).filter((s) => !META.includes(s)).length);
    // the label is the gold's preference, computed here from its checks
    const [a, b] = [goldChecks(req, p.response_a), goldChecks(req, p.response_b)];
    assert.equal(p.label, goldScoreOf(a) >= goldScoreOf(b) ? "a" : "b", JSON.stringify(p));
  }
  // the policy's prompts say 10 or 14 words; composed requests range wider
  assert.ok(
    limits.size >= 6 && [...limits].some((n) => n > 14) && [...limits].some((n) => n < 10),
    [...limits].join(),
  );
  assert.deepEqual([...sentences].sort(), [1, 2, 3]);
  // a scene said twice, now and then word for word with its detail (the gold's repetition both ways)
  assert.ok(sceneAgain > 40 && wordForWord > 5 && wordForWord < sceneAgain, `${sceneAgain} ${wordForWord}`);
});
