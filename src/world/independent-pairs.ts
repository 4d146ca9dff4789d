// Held-out pairs built independently of the training generator (tiny-judge-data.ts): other
// constructions of the same world, each a kind a judge must get right, labelled by the gold's
// ranking. A judge that learned the training generator's habits (which kinds meet which) instead of
// comparing each response with the request fails here, kind by kind:
//   overLong     two or three sentences with the word, over the limit, against one short sentence
//                that meets the request (in either taste)
//   offTopic     the word beside another topic's scene, against the word beside the requested
//                topic's scene (in either taste)
//   repetition   one scene said twice, against two different scenes of the topic, the word once
//   commentary   a sentence that meets the request plus a line about itself, against the sentence
//   lateWord     the word on the second of two short sentences, against the word missing
//   taste        the word in its mood against the word out of it, two sentences each
//   brokenWord   a scene cut short with the word tacked on ("A bench waits in the near a compass.",
//                the hack a policy found against a judge that weighs the word over grammar),
//                against the whole scene without the word
// Only pairs the gold separates are kept. Pure.
import { mulberry32, pick, shuffled } from "../model/random.ts";
import { makePrompt } from "./constrained-writing.ts";
import { goldChecks, goldScore, parseGoldRequest } from "./tiny-gold.ts";
import type { LabelledPair } from "./tiny-judge-data.ts";
import { DETAIL_MOODS, META, SCENE_MOODS, sentence, TOPICS } from "./tiny-world.ts";

export const INDEPENDENT_KINDS = [
  "overLong",
  "offTopic",
  "repetition",
  "commentary",
  "lateWord",
  "taste",
  "brokenWord",
] as const;
type Kind = (typeof INDEPENDENT_KINDS)[number];

/** The better response first, the worse second (the gold decides the label afterwards). */
function build(kind: Kind, p: ReturnType<typeof makePrompt>, r: () => number): [string, string] {
  const scenes = shuffled(TOPICS[p.topic], r);
  const near = (s: string, w = p.word) => sentence(`${s} near a ${w}`);
  switch (kind) {
    case "overLong":
      return [near(scenes[0]), [near(scenes[0]), ...scenes.slice(1, 3).map(sentence)].join(" ")];
    case "offTopic": {
      const other = pick(
        Object.keys(TOPICS).filter((t) => t !== p.topic),
        r,
      );
      return [near(scenes[0]), near(pick(TOPICS[other], r))];
    }
    case "repetition":
      return [`${sentence(scenes[1])} ${near(scenes[0])}`, `${near(scenes[0])} ${near(scenes[0])}`];
    case "commentary":
      return [near(scenes[0]), `${near(scenes[0])} ${pick(META, r)}`];
    case "lateWord":
      return [`${sentence(scenes[0])} ${near(scenes[1])}`, `${sentence(scenes[0])} ${sentence(scenes[1])}`];
    case "taste": {
      const mood = DETAIL_MOODS[p.word];
      const inMood = scenes.filter((s) => SCENE_MOODS[s] === mood);
      const outOfMood = scenes.filter((s) => SCENE_MOODS[s] !== mood);
      return [`${sentence(inMood[1])} ${near(inMood[0])}`, `${sentence(inMood[1])} ${near(outOfMood[0])}`];
    }
    case "brokenWord":
      // the scene's last word dropped: no sentence of the world, so neither on topic nor a placed word
      return [sentence(scenes[0]), near(scenes[0].split(" ").slice(0, -1).join(" "))];
  }
}

/** n pairs per kind on held-out prompts ("eval" split), in random order within each pair. */
export function makeIndependentPairs(perKind: number, seed: number): LabelledPair[] {
  const r = mulberry32(seed * 65_537 + 11);
  const pairs: LabelledPair[] = [];
  for (const kind of INDEPENDENT_KINDS) {
    let made = 0;
    for (let i = 0; made < perKind && i < perKind * 20; i++) {
      const p = makePrompt(10_000 + i, seed, "eval");
      // the sentence pairs of the length-bound kinds need the longer limit to fit
      const prompt =
        kind === "lateWord" || kind === "taste" || kind === "repetition"
          ? p.prompt.replace(/at most \d+ words/, "at most 20 words")
          : p.prompt;
      const [better, worse] = build(kind, p, r);
      const req = parseGoldRequest(prompt);
      if (!req) continue;
      const gap = goldScore(goldChecks(req, better)) - goldScore(goldChecks(req, worse));
      if (gap <= 1e-9) continue;
      const swap = r() < 0.5;
      pairs.push({
        id: `independent-${kind}-${seed}-${i}`,
        prompt,
        response_a: swap ? worse : better,
        response_b: swap ? better : worse,
        label: swap ? "b" : "a",
        kind,
      });
      made++;
    }
  }
  return pairs;
}
