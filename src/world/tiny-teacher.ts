// The cold-start teacher of the GenRM recipe: a capable general critic of the tiny world, and not
// its gold. It reads the request (topic, word, length), judges grammar by the ear of a general
// reader, notices commentary and repetition, and has a taste of its own: a lexicon of warm and cool
// words that agrees only in part with the raters' moods. It knows neither the world's sentence
// tables nor the gold (test/architecture/boundary.test.ts keeps both out of its reach), so a GenRM
// distilled from it learns a critic's view, and the raters' labels (rejection sampling, then RLVR)
// have to teach the rest. Pure.
import { extractConstraints } from "../judge/constraints.ts";
import { splitCommentary, splitSentences } from "../judge/meta-commentary.ts";

type Mood = "warm" | "cool";

/** Bump when what the teacher writes changes: a judge trained on its critiques is cached under it. */
export const TEACHER_VERSION = "wz-tiny-teacher-v5";

/** What a general reader associates with each place a request can name. */
const TOPIC_WORDS: Record<string, string[]> = {
  harbour: ["harbour", "boats", "boat", "tide", "gulls", "pier", "nets", "sea", "ship", "dock"],
  forest: ["forest", "pines", "moss", "stones", "path", "trees", "birds", "dawn", "wood"],
  city: ["city", "buses", "streets", "lights", "window", "people", "work", "market", "noon"],
  winter: ["winter", "snow", "roofs", "pond", "frozen", "children", "fort", "smoke", "chimneys", "ice"],
  garden: ["garden", "roses", "fence", "bees", "flowers", "soil", "bench", "shade"],
  kitchen: ["kitchen", "bread", "kettle", "stove", "soup", "pot", "table"],
  river: ["river", "mill", "reeds", "bank", "heron", "shallows", "water", "rocks"],
  mountain: ["mountain", "peak", "wind", "ridge", "climber", "ledge", "clouds", "summit"],
};

/**
 * The teacher's own taste: words it hears as warm or cool. A scene's mood is the majority of its
 * words the lexicon knows; a detail's is the word's own. It is a reader's taste, written without
 * the raters' moods, and it agrees with them on part of the scenes and details only (the share is
 * measured in test/world/teacher.test.ts and reported in docs/taste.md).
 */
const WARM = new Set([
  "warm",
  "bread",
  "bakes",
  "kettle",
  "sings",
  "stove",
  "soup",
  "simmers",
  "lights",
  "glow",
  "market",
  "roses",
  "bees",
  "flowers",
  "smoke",
  "chimneys",
  "children",
  "fort",
  "boats",
  "rest",
  "nets",
  "moss",
  "path",
  "mill",
  "table",
  "sun",
  "candle",
  "lantern",
  "velvet",
  "violin",
  "ribbon",
  "meadow",
  "orchard",
]);
const COOL = new Set([
  "snow",
  "frozen",
  "pond",
  "tide",
  "slowly",
  "gulls",
  "wind",
  "sweeps",
  "ridge",
  "peak",
  "white",
  "heron",
  "shallows",
  "water",
  "rocks",
  "shade",
  "soil",
  "damp",
  "dark",
  "dawn",
  "pines",
  "buses",
  "hurry",
  "clouds",
  "reeds",
  "climber",
  "marble",
  "copper",
  "compass",
  "thunder",
  "feather",
]);

const FUNCTION_WORDS = new Set([
  "the",
  "a",
  "an",
  "in",
  "on",
  "at",
  "of",
  "over",
  "under",
  "by",
  "near",
  "to",
  "for",
  "along",
  "across",
  "below",
  "between",
  "past",
  "is",
  "and",
  "every",
]);

function moodOf(words: string[]): Mood | null {
  const warm = words.filter((w) => WARM.has(w)).length;
  const cool = words.filter((w) => COOL.has(w)).length;
  return warm > cool ? "warm" : cool > warm ? "cool" : null;
}

/** The teacher's ear for grammar: a sentence as a general reader would accept it. */
export function soundsGrammatical(s: string): boolean {
  const m = s.match(/^([A-Z][a-z]*(?: [a-z]+)*)\.$/);
  if (!m) return false;
  const words = m[1].toLowerCase().split(" ");
  if (words.length < 3) return false;
  // a sentence does not start with a preposition or end on a function word
  if (["in", "on", "at", "of", "over", "under", "by", "near", "to", "is", "and"].includes(words[0]))
    return false;
  if (FUNCTION_WORDS.has(words[words.length - 1])) return false;
  // two function words in a row ("the a", "near the in") are not English, save "near a"/"in the"-like pairs
  for (let i = 1; i < words.length; i++) {
    const pair = `${words[i - 1]} ${words[i]}`;
    const fine =
      /^(?:in|on|at|over|under|by|near|to|for|along|across|below|between|past|of|is) (?:a|an|the|every)$/.test(
        pair,
      );
    if (FUNCTION_WORDS.has(words[i - 1]) && FUNCTION_WORDS.has(words[i]) && !fine) return false;
  }
  // a content word said twice in one short sentence is a slip
  const content = words.filter((w) => !FUNCTION_WORDS.has(w));
  if (new Set(content).size !== content.length) return false;
  // "near a X" closes a sentence; one anywhere else is out of place
  const near = words.indexOf("near");
  return near === -1 || (near === words.length - 3 && words[near + 1] === "a");
}

/**
 * The teacher's taste revised on rated pairs (reviseTaste): the mood it now hears in a scene (the
 * sentence before "near a") and in a detail word. Anything not listed keeps its own lexicon's mood.
 */
export interface TasteRevision {
  scenes: Map<string, Mood>;
  details: Map<string, Mood>;
}

export interface TeacherView {
  topic: string | null;
  /**
   * The place the teacher hears in each content sentence (the topic its words belong to most), "?"
   * when none, "again" for a sentence whose scene was said before (with or without a detail), or
   * "broken" for one that is not a sentence.
   */
  heard: string[];
  word: string | null;
  maxWords: number | null;
  words: number;
  fluent: boolean;
  onTopic: boolean;
  hasWord: boolean;
  short: boolean;
  commentary: boolean;
  repeats: boolean;
  /** The details placed ("near a X") with the teacher's mood of the detail and of its scene. */
  details: { word: string; detail: Mood | null; scene: Mood | null }[];
  /** Share of details the teacher hears in their scene's mood; null with no detail it can judge. */
  taste: number | null;
}

/** The topic whose words a sentence holds most of, or "?" when none or a tie. */
function heardTopic(ws: string[]): string {
  const counts = Object.entries(TOPIC_WORDS).map(
    ([t, words]) => [t, ws.filter((w) => words.includes(w)).length] as const,
  );
  const best = Math.max(...counts.map(([, n]) => n));
  const top = counts.filter(([, n]) => n === best);
  return best > 0 && top.length === 1 ? top[0][0] : "?";
}

export function teacherView(prompt: string, response: string, taste?: TasteRevision): TeacherView {
  const topic = prompt.match(/\babout the (\w+)/i)?.[1]?.toLowerCase() ?? null;
  const c = extractConstraints(prompt);
  const word = c.required[0] ?? null;
  const { spans } = splitCommentary(response);
  const sentences = splitSentences(response);
  const content = sentences.filter(
    (s) => !spans.some((sp) => sp.sentence.includes(s) || s.includes(sp.sentence)),
  );
  const words = response.match(/\S+/g)?.length ?? 0;
  const lower = content.map((s) => s.toLowerCase().replace(/\.$/, "").split(" "));
  // A reader hears no scene in a broken sentence ("A bench waits in the near a compass."): it is
  // about nothing and places nothing, whatever words it holds. Counted as on topic or as a detail,
  // a fragment carrying the word scored within a third of a point of a whole sentence without it
  // (above it when the detail's mood fit), and a judge distilled from that view was hacked that way.
  const grammatical = content.map(soundsGrammatical);
  const details = lower.flatMap((ws, k) => {
    if (!grammatical[k]) return [];
    const i = ws.indexOf("near");
    if (i === -1 || ws[i + 1] !== "a" || !ws[i + 2]) return [];
    const scene = ws.slice(0, i);
    return [
      {
        word: ws[i + 2],
        detail: taste?.details.get(ws[i + 2]) ?? moodOf([ws[i + 2]]),
        scene: taste?.scenes.get(scene.join(" ")) ?? moodOf(scene),
      },
    ];
  });
  const judged = details.filter((d) => d.detail && d.scene);
  // a scene said twice is repetition to a reader, whether or not a detail was added the second time
  const sceneKeys = lower.map((ws) => {
    const i = ws.indexOf("near");
    return (i > 0 && ws[i + 1] === "a" ? ws.slice(0, i) : ws).join(" ");
  });
  const related = topic ? TOPIC_WORDS[topic] : undefined;
  const whole = lower.filter((_, k) => grammatical[k]);
  return {
    topic,
    heard: lower.map((ws, i) =>
      !grammatical[i] ? "broken" : sceneKeys.indexOf(sceneKeys[i]) < i ? "again" : heardTopic(ws),
    ),
    word,
    maxWords: c.maxWords ?? null,
    words,
    fluent: content.length > 0 && content.every(soundsGrammatical),
    onTopic:
      related !== undefined && whole.length > 0 && whole.every((ws) => ws.some((w) => related.includes(w))),
    hasWord: word !== null && content.some((_, i) => grammatical[i] && lower[i].includes(word)),
    short: c.maxWords === undefined || (words >= 1 && words <= c.maxWords),
    commentary: spans.length > 0,
    repeats: new Set(sceneKeys).size !== sceneKeys.length,
    details,
    taste: judged.length ? judged.filter((d) => d.detail === d.scene).length / judged.length : null,
  };
}

/** The teacher's score in [0, 10], ranked as it reads the task: the request, then taste, then the rest. */
export function teacherScore(v: TeacherView): number {
  if (v.words === 0) return 0;
  const explicit = 4 * ((v.onTopic ? 1 : 0) + (v.hasWord ? 1 : 0) + (v.short ? 1 : 0));
  const rest = ((v.fluent ? 2 : 0) + (v.commentary ? 0 : 1) + (v.repeats ? 0 : 1)) / 4;
  return (10 * (explicit + 2 * (v.taste ?? 0) + rest)) / 15;
}

/** One response's critique line: the evidence first, then the verdict on each check. */
function critiqueLine(v: TeacherView): string {
  const near = v.details.length
    ? v.details.map((d) => `${d.word} ${d.detail ?? "?"} in a ${d.scene ?? "?"} scene`).join(", ")
    : "none";
  const verdicts = [
    v.fluent ? "fluent" : "not fluent",
    v.onTopic ? "on topic" : "off topic",
    v.hasWord ? "has the word" : "no word",
    v.short ? "short" : "too long",
    v.commentary ? "comment" : "no comment",
    v.repeats ? "repeats" : "no repeat",
    v.taste === null ? "no detail" : v.taste === 1 ? "in mood" : v.taste === 0 ? "out of mood" : "mixed mood",
  ].join(", ");
  return `near ${near}; ${v.words} words: ${verdicts}`;
}

/**
 * The terse line: the same evidence (each detail's mood and its scene's, the word count), then only
 * the checks that fail ("all met" when none does). A third of the detailed line's tokens, so a judge
 * trained on it critiques three times as fast in the loop; the verdicts are the same.
 */
function terseLine(v: TeacherView): string {
  // each verdict beside its evidence (a repeated sentence is heard "again", a detail is "in" or
  // "out" of its scene's mood); the line ends with the verdicts that need the whole response
  const near = v.details.length
    ? v.details
        .map((d) => {
          const fits = d.detail && d.scene ? (d.detail === d.scene ? ": in" : ": out") : "";
          return `${d.word} ${d.detail ?? "?"} in ${d.scene ?? "?"}${fits}`;
        })
        .join(", ")
    : "no detail";
  const faults = [
    v.fluent ? "" : "not fluent",
    v.hasWord ? "" : "no word",
    v.short ? "" : "too long",
    v.commentary ? "comment" : "",
  ].filter(Boolean);
  // the place decided where it is heard: a small judge compares it with the request there, not
  // at the end of the line (placed at the end, a judge of the main job's size missed 9 in 10)
  const heard = `${v.heard.length ? v.heard.join(" ") : "nothing"}${v.onTopic ? "" : ", off topic"}`;
  const elsewhere = !v.onTopic || v.repeats || (v.taste !== null && v.taste < 1);
  const met = elsewhere ? "the rest met" : "all met";
  return `${heard}; ${near}; ${v.words} words; ${faults.length ? faults.join(", ") : met}`;
}

/** How the teacher writes: every check named ("detailed", the preset's) or only the failing ones. */
export type CritiqueStyle = "detailed" | "terse";
export const CRITIQUE_STYLES = ["detailed", "terse"] as const;

/**
 * The teacher's critique of the responses as shown (first, second), in the compact template's
 * reply format; null when the request names no topic or word it can read.
 */
export function teacherCritique(
  prompt: string,
  first: string,
  second: string,
  style: CritiqueStyle = "detailed",
  taste?: TasteRevision,
): string | null {
  const v1 = teacherView(prompt, first, taste);
  const v2 = teacherView(prompt, second, taste);
  if (!v1.topic || !v1.word || v1.maxWords === null) return null;
  const s = (v: TeacherView) => teacherScore(v).toFixed(1).replace(/\.0$/, "");
  const line = style === "terse" ? terseLine : critiqueLine;
  const wanted =
    style === "terse"
      ? `Wanted: ${v1.topic}, ${v1.word}, ${v1.maxWords} words.`
      : `Wanted: ${v1.topic}, ${v1.word}, at most ${v1.maxWords} words.`;
  return `${wanted}\n1: ${line(v1)}.\n2: ${line(v2)}.\n\\boxed{${s(v1)}, ${s(v2)}}`;
}

/** The checks other than taste, as the teacher sees them: two responses alike here differ in taste only. */
const untasted = (v: TeacherView) =>
  [v.fluent, v.onTopic, v.hasWord, v.short, v.commentary, v.repeats].join();

/**
 * The teacher revises its taste on rated pairs, as a critic learns a house's taste from its
 * readers' choices. Each pair whose responses the teacher sees alike in everything but taste, one
 * detail each, says: the preferred response's detail sits in its scene's mood, the other's does
 * not. Starting from its own lexicon, the teacher flips the mood it hears in a scene or a detail
 * whenever that agrees with more of those pairs, until no flip helps (a greedy local search; the
 * labels' careless flips are outvoted). It uses the labels only: no table of the world, no gold.
 */
export function reviseTaste(
  pairs: { prompt: string; response_a: string; response_b: string; label: "a" | "b" }[],
): TasteRevision & { constraints: number; revised: number } {
  type Side = { scene: string; detail: string; inMood: boolean };
  const constraints: Side[] = [];
  const scenes = new Map<string, Mood>();
  const details = new Map<string, Mood>();
  const side = (response: string, inMood: boolean): Side | null => {
    const content = splitSentences(response).map((s) => s.toLowerCase().replace(/\.$/, "").split(" "));
    const placed = content.filter((ws) => ws.includes("near"));
    if (placed.length !== 1) return null;
    const ws = placed[0];
    const i = ws.indexOf("near");
    if (ws[i + 1] !== "a" || !ws[i + 2]) return null;
    const scene = ws.slice(0, i);
    if (!scenes.has(scene.join(" "))) scenes.set(scene.join(" "), moodOf(scene) ?? "warm");
    if (!details.has(ws[i + 2])) details.set(ws[i + 2], moodOf([ws[i + 2]]) ?? "warm");
    return { scene: scene.join(" "), detail: ws[i + 2], inMood };
  };
  for (const p of pairs) {
    const [a, b] = [teacherView(p.prompt, p.response_a), teacherView(p.prompt, p.response_b)];
    if (untasted(a) !== untasted(b)) continue;
    const sa = side(p.response_a, p.label === "a");
    const sb = side(p.response_b, p.label === "b");
    if (sa && sb) constraints.push(sa, sb);
  }
  const own = { scenes: new Map(scenes), details: new Map(details) };
  const agrees = (c: Side) => (details.get(c.detail) === scenes.get(c.scene)) === c.inMood;
  const flip = (m: Map<string, Mood>, k: string) => m.set(k, m.get(k) === "warm" ? "cool" : "warm");
  for (let sweep = 0; sweep < 50; sweep++) {
    let flipped = false;
    for (const [m, key] of [
      ...[...scenes.keys()].map((k) => [scenes, k] as const),
      ...[...details.keys()].map((k) => [details, k] as const),
    ]) {
      const touched = constraints.filter((c) => (m === scenes ? c.scene : c.detail) === key);
      const before = touched.filter(agrees).length;
      flip(m, key);
      if (touched.filter(agrees).length > before) flipped = true;
      else flip(m, key);
    }
    if (!flipped) break;
  }
  const revised =
    [...scenes].filter(([k, v]) => own.scenes.get(k) !== v).length +
    [...details].filter(([k, v]) => own.details.get(k) !== v).length;
  return { scenes, details, constraints: constraints.length / 2, revised };
}
