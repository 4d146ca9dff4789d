// Taste is the quality no rule written from the request can see: on every pair that differs only
// in where the detail sits (the same word, the same topic, both within the length), the rule judge
// ties and the gold does not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import { TinyGoldJudge } from "../../src/world/tiny-gold.ts";
import { DETAIL_MOODS, SCENE_MOODS, sentence, TOPICS, WORDS } from "../../src/world/tiny-world.ts";

/** Every (topic, word) with one scene of each mood: the detail in its mood against it out of mood. */
function tastePairs(): { prompt: string; good: string; poor: string }[] {
  return Object.entries(TOPICS).flatMap(([topic, scenes]) =>
    WORDS.map((word) => {
      const good = scenes.find((s) => SCENE_MOODS[s] === DETAIL_MOODS[word])!;
      const poor = scenes.find((s) => SCENE_MOODS[s] !== DETAIL_MOODS[word])!;
      return {
        prompt: `Write a note about the ${topic}. Include the word ${word}. Use at most 14 words.`,
        good: sentence(`${good} near a ${word}`),
        poor: sentence(`${poor} near a ${word}`),
      };
    }),
  );
}

test("every scene and every detail has a mood, and each topic has scenes of both", () => {
  for (const scenes of Object.values(TOPICS)) {
    for (const s of scenes) assert.ok(SCENE_MOODS[s], s);
    assert.deepEqual(new Set(scenes.map((s) => SCENE_MOODS[s])), new Set(["warm", "cool"]));
  }
  for (const w of WORDS) assert.ok(DETAIL_MOODS[w], w);
  const warm = WORDS.filter((w) => DETAIL_MOODS[w] === "warm").length;
  assert.equal(warm, WORDS.length / 2);
});

test("the rule judge ties every pair that differs only in taste; the gold prefers the detail in its mood", async () => {
  const rules = new RuleJudge();
  const gold = new TinyGoldJudge();
  const pairs = tastePairs();
  assert.equal(pairs.length, 8 * 12);
  for (const p of pairs) {
    for (const [a, b] of [
      [p.good, p.poor],
      [p.poor, p.good],
    ]) {
      const r = await rules.compare(p.prompt, a, b);
      assert.equal(r.outcome, "tie", `rules on ${a} / ${b}: ${r.scoreA} ${r.scoreB}`);
    }
    assert.equal((await gold.compare(p.prompt, p.good, p.poor)).outcome, "a", p.good);
    assert.equal((await gold.compare(p.prompt, p.poor, p.good)).outcome, "b", p.good);
  }
});
