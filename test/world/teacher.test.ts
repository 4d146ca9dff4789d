// The GenRM's cold-start teacher is a general critic, not the gold: it agrees with the gold on
// what a reader can see (grammar of the constructed kinds, the word, length, commentary,
// repetition) and only in part on taste, measured here on every (scene, detail) combination.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVerdict } from "../../src/judge/verdict-parser.ts";
import { goldChecks, parseGoldRequest } from "../../src/world/tiny-gold.ts";
import { makeJudgePairs } from "../../src/world/tiny-judge-data.ts";
import { makeRatedPairs } from "../../src/world/tiny-labeller.ts";
import { reviseTaste, teacherCritique, teacherScore, teacherView } from "../../src/world/tiny-teacher.ts";
import { DETAIL_MOODS, SCENE_MOODS, sentence, TOPICS, WORDS } from "../../src/world/tiny-world.ts";

const PROMPT = "Write a note about the harbour. Include the word lantern. Use at most 14 words.";

test("the teacher sees what a reader sees, as the gold does", () => {
  const checks: [string, (t: ReturnType<typeof teacherView>, g: ReturnType<typeof goldChecks>) => boolean][] =
    [
      ["fluent", (t, g) => t.fluent === g.fluent],
      ["word", (t, g) => t.hasWord === g.requiredWord],
      ["length", (t, g) => t.short === g.length],
      ["commentary", (t, g) => t.commentary === !g.noCommentary],
      ["repetition", (t, g) => t.repeats === !g.noRepetition],
    ];
  const responses = makeJudgePairs(1500, 4, "pretrain", { keepTies: true }).flatMap((p) => [
    [p.prompt, p.response_a],
    [p.prompt, p.response_b],
  ]);
  for (const [name, same] of checks) {
    const agree = responses.filter(([p, r]) => same(teacherView(p, r), goldChecks(parseGoldRequest(p)!, r)));
    assert.ok(agree.length / responses.length > 0.98, `${name}: ${agree.length}/${responses.length}`);
  }
});

/** How many of the 384 (scene, detail) combinations the teacher hears as the raters do. */
function tasteCounts(taste?: Parameters<typeof teacherView>[2]): { agree: number; total: number } {
  let agree = 0;
  let total = 0;
  for (const [topic, scenes] of Object.entries(TOPICS))
    for (const scene of scenes)
      for (const word of WORDS) {
        const prompt = `Write a note about the ${topic}. Include the word ${word}. Use at most 14 words.`;
        const t = teacherView(prompt, sentence(`${scene} near a ${word}`), taste).taste;
        total++;
        if (t !== null && (t === 1) === (DETAIL_MOODS[word] === SCENE_MOODS[scene])) agree++;
      }
  return { agree, total };
}

const tasteAgreement = (taste?: Parameters<typeof teacherView>[2]) => {
  const { agree, total } = tasteCounts(taste);
  return agree / total;
};

test("the teacher's taste agrees with the raters' only in part", () => {
  const { agree, total } = tasteCounts();
  assert.equal(total, 384);
  // 67.2 % when written (docs/taste.md): better than a coin, far from the raters' own taste
  assert.ok(agree / total > 0.6 && agree / total < 0.75, `${agree}/${total}`);
});

test("the critique is in the compact template's reply format, its scores the teacher's", () => {
  const good = "Boats rest in the harbour near a lantern.";
  const poor = "The tide comes in slowly near a lantern.";
  const c = teacherCritique(PROMPT, good, poor)!;
  assert.match(
    c,
    /^Wanted: harbour, lantern, at most 14 words\.\n1: near lantern warm in a warm scene; 8 words: .*in mood\.\n2: .*out of mood\./,
  );
  const v = parseVerdict(c);
  assert.ok(v.ok);
  if (v.ok) {
    assert.equal(v.first, Number(teacherScore(teacherView(PROMPT, good)).toFixed(1)));
    assert.ok(v.first > v.second);
  }
  assert.equal(teacherCritique("Write a poem about love.", good, poor), null);
});

test("the terse critique keeps the evidence and the scores, and names only the failing checks", () => {
  const pairs = makeJudgePairs(300, 6, "pretrain", {
    minimalShare: 0.3,
    tasteShare: 0.3,
    composedShare: 0.3,
  });
  for (const p of pairs) {
    const detailed = parseVerdict(teacherCritique(p.prompt, p.response_a, p.response_b)!);
    const terse = teacherCritique(p.prompt, p.response_a, p.response_b, "terse")!;
    const v = parseVerdict(terse);
    assert.ok(v.ok && detailed.ok, terse);
    if (v.ok && detailed.ok) assert.deepEqual([v.first, v.second], [detailed.first, detailed.second]);
    // a passing check is never named
    assert.doesNotMatch(terse, /\b(fluent|on topic|has the word|short|no comment|no repeat|in mood)\b(?!, )/);
    // "all met" only when nothing fails, anywhere on the line
    for (const line of terse.split("\n").filter((l) => l.endsWith("all met.")))
      assert.doesNotMatch(line, /off topic|again|: out|not fluent|no word|too long|comment/, line);
  }
  const good = "Boats rest in the harbour near a lantern.";
  // by hand: 10 * (4 * (on topic + short) + (fluent 2 + no comment 1) / 4) / 15 = 5.8
  const noWord = "Boats rest in the harbour. Boats rest in the harbour.";
  assert.equal(
    teacherCritique(PROMPT, good, noWord, "terse"),
    "Wanted: harbour, lantern, 14 words.\n1: harbour; lantern warm in warm: in; 8 words; all met.\n2: harbour again; no detail; 10 words; no word.\n\\boxed{10, 5.8}",
  );
  // a scene said again is heard "again" with or without its detail (the gold's repetition: same scene)
  const sceneAgain = `${good} Boats rest in the harbour.`;
  assert.deepEqual(teacherView(PROMPT, sceneAgain).heard, ["harbour", "again"]);
  assert.equal(
    teacherView(PROMPT, sceneAgain).repeats,
    !goldChecks(parseGoldRequest(PROMPT)!, sceneAgain).noRepetition,
  );
  assert.deepEqual(teacherView(PROMPT, `${good} Nets dry on the wall.`).heard, ["harbour", "harbour"]);
  // the place it hears, and the verdict on it beside it
  const elsewhere = teacherCritique(PROMPT, good, "Tall pines stand in the forest near a lantern.", "terse")!;
  assert.match(elsewhere, /\n2: forest, off topic; lantern \w+ in \w+: (in|out); 9 words; the rest met\.\n/);
});

test("the teacher revises its taste on the raters' labels, and on nothing else", () => {
  const rater = { noise: 0.05, tieMargin: 1, explainBias: 0.7, lengthBias: 0.7 };
  for (const seed of [1, 2]) {
    const pairs = makeRatedPairs(1500, seed, ["pretrain", "train"], rater, { tasteShare: 0.25 });
    const revised = reviseTaste(pairs);
    assert.ok(revised.constraints > 200, `${revised.constraints} taste-only pairs`);
    // from 67.2 % (its own lexicon) to the raters' taste, careless flips outvoted
    assert.ok(tasteAgreement(revised) > 0.95, `seed ${seed}: ${tasteAgreement(revised)}`);
    // the same pairs with every taste pair's label turned round: it follows the labels, not a table
    const inverted = pairs.map((p) =>
      p.kind === "taste" ? { ...p, label: p.label === "a" ? ("b" as const) : ("a" as const) } : p,
    );
    assert.ok(tasteAgreement(reviseTaste(inverted)) < 0.5, `seed ${seed}: inverted labels`);
  }
  assert.equal(tasteAgreement(reviseTaste([])), tasteAgreement(), "no pairs, no revision");
});

test("a broken sentence carrying the word is about nothing to the teacher, and loses to a whole one", () => {
  // the hack a policy found against a judge distilled from the teacher's earlier view, where this
  // fragment scored within a third of a point of the whole sentence (above it when its mood fit)
  const prompt = "Write a note about the garden. Include the word candle. Use at most 10 words.";
  const broken = teacherView(prompt, "A bench waits in the near a candle.");
  const whole = teacherView(prompt, "A bench waits in the shade.");
  assert.deepEqual(
    [broken.fluent, broken.onTopic, broken.hasWord, broken.taste],
    [false, false, false, null],
  );
  assert.deepEqual(broken.heard, ["broken"]);
  assert.deepEqual([whole.fluent, whole.onTopic, whole.hasWord], [true, true, false]);
  assert.ok(
    teacherScore(whole) - teacherScore(broken) >= 2,
    `${teacherScore(whole)} vs ${teacherScore(broken)}`,
  );
  // beside a whole sentence of the topic, a fragment neither puts the response off topic nor counts
  const mixed = teacherView(prompt, "Roses climb the garden fence. A bench waits in the near a candle.");
  assert.deepEqual([mixed.onTopic, mixed.hasWord, mixed.fluent], [true, false, false]);
  assert.deepEqual(mixed.heard, ["garden", "broken"]);
  assert.match(
    teacherCritique(prompt, "A bench waits in the near a candle.", "A bench waits in the shade.", "terse")!,
    /^Wanted: garden, candle, 10 words\.\n1: broken, off topic; no detail;/,
  );
});
