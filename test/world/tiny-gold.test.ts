// The gold judge against hand-written responses whose verdicts follow from the world's grammar.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeCorpus, makePrompts } from "../../src/world/constrained-writing.ts";
import {
  goldChecks,
  goldSummary,
  goldTasteOnTiedConstraints,
  parseGoldRequest,
  parseSentence,
  TinyGoldJudge,
} from "../../src/world/tiny-gold.ts";

const PROMPT = "Write a note about the harbour. Include the word lantern. Use at most 14 words.";
const req = parseGoldRequest(PROMPT)!;

test("the gold reads the tiny world's requests and nothing else", () => {
  assert.deepEqual(req, { topic: "harbour", word: "lantern", maxWords: 14 });
  assert.equal(parseGoldRequest("Write a poem about love."), null);
  assert.equal(
    parseGoldRequest("Write a note about the moon. Include the word lantern. Use at most 9 words."),
    null,
  );
});

test("sentences parse only when the grammar derives them", () => {
  assert.deepEqual(parseSentence("Boats rest in the harbour near a lantern."), {
    kind: "content",
    topic: "harbour",
    base: "boats rest in the harbour",
    near: "lantern",
  });
  assert.equal(parseSentence("Snow falls on the quiet roofs.").kind, "content");
  assert.equal(parseSentence("I have followed every instruction in the prompt.").kind, "commentary");
  // word salad the issue quotes from a hacked policy
  assert.equal(parseSentence("Roses the thunder near a candle near a velvet.").kind, "invalid");
  assert.equal(parseSentence("A the thunder near a compass.").kind, "invalid");
  assert.equal(parseSentence("Boats rest in the harbour near a dog.").kind, "invalid");
  assert.equal(parseSentence("boats rest in the harbour.").kind, "invalid");
});

test("a response that meets everything", () => {
  const c = goldChecks(req, "Boats rest in the harbour near a lantern. Gulls circle over the pier.");
  assert.equal(c.allMet, true);
  assert.equal(c.words, 13);
});

test("each check fails on its own", () => {
  const off = goldChecks(req, "Boats rest in the harbour near a lantern. Snow falls on the quiet roofs.");
  assert.equal(off.onTopic, false);
  assert.equal(off.fluent, true);
  assert.equal(off.allMet, false);
  const wrongWord = goldChecks(req, "Boats rest in the harbour near a candle.");
  assert.equal(wrongWord.requiredWord, false);
  assert.equal(wrongWord.onTopic, true);
  const salad = goldChecks(req, "Lantern the harbour near a lantern.");
  assert.equal(salad.fluent, false);
  assert.equal(salad.requiredWord, false, "the word must sit in a grammatical sentence");
  const long = goldChecks(
    req,
    "Boats rest in the harbour near a lantern. The tide comes in slowly. Gulls circle over the pier.",
  );
  assert.equal(long.words, 18);
  assert.equal(long.length, false);
  const meta = goldChecks(
    req,
    "Boats rest in the harbour near a lantern. I have followed every instruction in the prompt.",
  );
  assert.equal(meta.noCommentary, false);
  assert.equal(meta.fluent, true);
  assert.equal(meta.commentaryTokens, 8);
  const rep = goldChecks(req, "Nets dry on the wall. Nets dry on the wall near a lantern.");
  assert.equal(rep.noRepetition, false);
  assert.equal(goldChecks(req, "").fluent, false);
});

test("pairwise: fluent beats salad even when the salad holds the word, in both orders", async () => {
  const judge = new TinyGoldJudge();
  const good = "Gulls circle over the pier.";
  const salad = "Harbour the lantern near a lantern.";
  const v = await judge.compare(PROMPT, good, salad);
  assert.equal(v.outcome, "a");
  assert.deepEqual(
    v.conditions.map((c) => c.order),
    ["ab", "ba"],
  );
  assert.equal((await judge.compare(PROMPT, salad, good)).outcome, "b");
  assert.equal((await judge.compare(PROMPT, good, good)).outcome, "tie");
  const best = "Gulls circle over the pier near a lantern.";
  assert.equal((await judge.compare(PROMPT, best, good)).outcome, "a");
  const failed = await judge.compare("Write a haiku.", good, salad);
  assert.equal(failed.outcome, "failed");
});

test("on the generator's own corpus the gold agrees with what the generator did", () => {
  // The generator records which constraints each example meets; the gold must find the same.
  const corpus = makeCorpus(300, 7);
  for (const e of corpus) {
    const c = goldChecks(parseGoldRequest(e.prompt)!, e.response);
    assert.equal(c.fluent, true, e.response);
    assert.equal(c.onTopic, true, e.response);
    assert.equal(c.requiredWord, e.meets.word, e.response);
    assert.equal(c.length, e.meets.length, e.response);
    assert.equal(c.noCommentary, e.meets.noMeta, e.response);
    assert.equal(c.noRepetition, true, e.response);
  }
  const s = goldSummary(corpus.map((e) => ({ prompt: e.prompt, response: e.response })));
  assert.equal(s.fluent, 1);
  assert.ok(s.allMet! > 0 && s.allMet! < 0.3);
  assert.equal(goldSummary([{ prompt: "hello", response: "x" }]).unreadable, 1);
  assert.ok(makePrompts(5, 1, "eval").every((p) => parseGoldRequest(p.prompt) !== null));
});

test("the monitor re-judges the estimator's own pairs: the gold disagrees where the rule judge rewards salad", async () => {
  const { goldMonitor } = await import("../../src/recipes/evaluator.ts");
  const { monitorStep } = await import("../../src/rl/monitor.ts");
  const { brpo } = await import("../../src/rl/estimators/brpo.ts");
  const { RuleJudge } = await import("../../src/judge/rule-judge.ts");
  const responses = [
    "Gulls circle over the pier.", // fluent, no word
    "Lantern harbour lantern near a lantern.", // salad with the word (the rule judge's favourite)
    "Boats rest in the harbour near a lantern.", // meets everything
  ];
  const est = await brpo({ prompt: PROMPT, responses }, new RuleJudge(), {
    seed: 1,
    step: 0,
    groupId: 0,
    skewThreshold: 1,
  });
  const m = await monitorStep(goldMonitor(), [{ prompt: PROMPT, responses }], [est]);
  const ref = est.referenceIndices[0];
  // Independent expectation: under the gold, the salad loses to both others; "meets everything" beats both.
  const goldWins = est.comparisons.filter((c) => {
    const rank = [1, 0, 2]; // gold order: salad < fluent-no-word < meets-everything
    return rank[c.member] > rank[c.against];
  }).length;
  assert.equal(m.eval_win_rate_vs_reference, goldWins / est.comparisons.length, `reference ${ref}`);
  assert.ok(m.eval_fluent !== undefined && Math.abs(m.eval_fluent! - 2 / 3) < 1e-12);
  assert.ok(m.eval_all_met !== undefined && Math.abs(m.eval_all_met! - 1 / 3) < 1e-12);
  assert.ok(m.eval_score_mean! > 0 && m.eval_score_mean! < 10);
});

// Taste: "Boats rest in the harbour" is a warm scene, "The tide comes in slowly" a cool one;
// lantern is a warm detail, compass a cool one (tiny-world.ts).
const WARM_WARM = "Boats rest in the harbour near a lantern.";
const COOL_WARM = "The tide comes in slowly near a lantern.";

test("taste: a detail beside a scene of its mood, as a share of the details placed", () => {
  assert.equal(goldChecks(req, WARM_WARM).taste, 1);
  assert.equal(goldChecks(req, COOL_WARM).taste, 0);
  assert.equal(goldChecks(req, "Boats rest in the harbour.").taste, null, "no detail placed: no taste");
  assert.equal(goldChecks(req, `${WARM_WARM} The tide comes in slowly near a compass.`).taste, 1);
  assert.equal(goldChecks(req, `${COOL_WARM} Nets dry on the wall near a copper.`).taste, 0.5);
  // taste is not a constraint: a response in poor taste can still meet everything the request asks
  assert.equal(goldChecks(req, COOL_WARM).allMet, true);
});

test("the gold ranks the request's constraints first, then taste, then the general checks", async () => {
  const judge = new TinyGoldJudge();
  const winner = async (a: string, b: string) => (await judge.compare(PROMPT, a, b)).outcome;
  // taste decides between two responses that meet the same constraints
  assert.equal(await winner(WARM_WARM, COOL_WARM), "a");
  assert.equal(await winner(COOL_WARM, WARM_WARM), "b");
  // one more constraint beats any taste: the word in poor taste beats no word (which has none)
  assert.equal(await winner(COOL_WARM, "Boats rest in the harbour."), "a");
  // ... and beats a well-placed detail that is the wrong word
  assert.equal(await winner(COOL_WARM, "Boats rest in the harbour near a copper."), "a");
  // taste beats the general checks: good taste with commentary beats poor taste without it
  const meta = `${WARM_WARM} I have followed every instruction in the prompt.`;
  const prompt = PROMPT.replace("14 words", "20 words");
  assert.equal((await judge.compare(prompt, meta, COOL_WARM)).outcome, "a");
  // with taste equal, the general checks still count: no commentary beats commentary
  assert.equal((await judge.compare(prompt, WARM_WARM, meta)).outcome, "a");
});

test("taste where the constraints tie: only pairs alike in topic, word and length, each with a detail", () => {
  const t = (a: string, b: string) => goldTasteOnTiedConstraints(PROMPT, a, b);
  assert.equal(t(WARM_WARM, COOL_WARM), "a");
  assert.equal(t(COOL_WARM, WARM_WARM), "b");
  assert.equal(
    t(WARM_WARM, "Nets dry on the wall near a lantern."),
    "tie",
    "both warm scenes: alike in taste",
  );
  // a constraint apart: the word missing (its detail is another word), or over the limit, or off topic
  assert.equal(t(WARM_WARM, "Boats rest in the harbour near a compass."), null);
  assert.equal(t(COOL_WARM, `${WARM_WARM} ${WARM_WARM} ${WARM_WARM}`), null);
  assert.equal(t(COOL_WARM, "Bread bakes in the warm kitchen near a lantern."), null);
  // no detail on one side: no taste to compare
  assert.equal(t(WARM_WARM, "Boats rest in the harbour."), null);
  // constraints failed alike still tie: two responses without the word compare by taste
  assert.equal(t("Boats rest in the harbour near a copper.", "The tide comes in slowly near a copper."), "a");
  assert.equal(goldTasteOnTiedConstraints("Write a poem.", WARM_WARM, COOL_WARM), null);
});

test("the generator places details in both moods at comparable rates", () => {
  const prompts = makePrompts(400, 3, "train");
  const corpus = makeCorpus(2000, 5);
  const tastes = corpus
    .map((e) => goldChecks(parseGoldRequest(e.prompt)!, e.response).taste)
    .filter((t): t is number => t !== null);
  const good = tastes.filter((t) => t === 1).length / tastes.length;
  assert.ok(tastes.length > 500, `${tastes.length} responses place a detail`);
  assert.ok(good > 0.35 && good < 0.65, `share in good taste ${good.toFixed(2)}`);
  assert.equal(prompts.length, 400);
});
