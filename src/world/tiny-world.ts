// The tiny world's tables: the topics and their sentences, the bank of required words, the forms
// of request and the sentences of commentary. The generator writes from them and the gold judge
// (evaluation only) parses against them. No training judge may import this file: a judge that
// knows the world's sentences would be training on the answer key (test/world/boundary.test.ts).

export const TOPICS: Record<string, string[]> = {
  harbour: [
    "boats rest in the harbour",
    "the tide comes in slowly",
    "gulls circle over the pier",
    "nets dry on the wall",
  ],
  forest: [
    "tall pines stand in the forest",
    "moss covers the old stones",
    "a path winds under the trees",
    "birds call at dawn",
  ],
  city: [
    "buses hum along the city streets",
    "lights glow in every window",
    "people hurry to work",
    "a market opens at noon",
  ],
  winter: [
    "snow falls on the quiet roofs",
    "the pond is frozen",
    "children build a snow fort",
    "smoke rises from chimneys",
  ],
  garden: [
    "roses climb the garden fence",
    "bees drift between the flowers",
    "the soil is dark and damp",
    "a bench waits in the shade",
  ],
  kitchen: [
    "bread bakes in the warm kitchen",
    "a kettle sings on the stove",
    "soup simmers in a pot",
    "the table is set for two",
  ],
  river: [
    "the river bends past the mill",
    "reeds sway by the bank",
    "a heron waits in the shallows",
    "water runs over smooth rocks",
  ],
  mountain: [
    "the mountain peak is white",
    "wind sweeps across the ridge",
    "a climber rests on a ledge",
    "clouds drift below the summit",
  ],
};

export const WORDS = [
  "lantern",
  "copper",
  "velvet",
  "orchard",
  "compass",
  "ribbon",
  "thunder",
  "marble",
  "feather",
  "candle",
  "violin",
  "meadow",
];
export const FORMS = ["note", "short passage", "few lines"];
export const META = [
  "This response meets all the requirements.",
  "As requested, I have included the word and kept it short.",
  "I have followed every instruction in the prompt.",
];

/**
 * Taste, the world's stand-in for literary quality: the one quality no request states. Every scene
 * (a topic's sentence) and every detail (a bank word) has a mood, warm or cool, and a detail reads
 * well beside a scene of its own mood ("a kettle sings on the stove near a candle") and jars beside
 * the other ("the pond is frozen near a velvet"). The moods are partly arbitrary, as taste is: no
 * rule written from the request can see them, and the generator places a detail on any scene, so
 * the base model writes both at about equal rates. Only the raters and the gold know them.
 */
export type Mood = "warm" | "cool";

export const SCENE_MOODS: Record<string, Mood> = {
  "boats rest in the harbour": "warm",
  "the tide comes in slowly": "cool",
  "gulls circle over the pier": "cool",
  "nets dry on the wall": "warm",
  "tall pines stand in the forest": "cool",
  "moss covers the old stones": "warm",
  "a path winds under the trees": "warm",
  "birds call at dawn": "cool",
  "buses hum along the city streets": "cool",
  "lights glow in every window": "warm",
  "people hurry to work": "cool",
  "a market opens at noon": "warm",
  "snow falls on the quiet roofs": "cool",
  "the pond is frozen": "cool",
  "children build a snow fort": "warm",
  "smoke rises from chimneys": "warm",
  "roses climb the garden fence": "warm",
  "bees drift between the flowers": "warm",
  "the soil is dark and damp": "cool",
  "a bench waits in the shade": "cool",
  "bread bakes in the warm kitchen": "warm",
  "a kettle sings on the stove": "warm",
  "soup simmers in a pot": "cool",
  "the table is set for two": "cool",
  "the river bends past the mill": "warm",
  "reeds sway by the bank": "warm",
  "a heron waits in the shallows": "cool",
  "water runs over smooth rocks": "cool",
  "the mountain peak is white": "cool",
  "wind sweeps across the ridge": "cool",
  "a climber rests on a ledge": "warm",
  "clouds drift below the summit": "warm",
};

export const DETAIL_MOODS: Record<string, Mood> = {
  lantern: "warm",
  copper: "warm",
  velvet: "warm",
  candle: "warm",
  violin: "warm",
  orchard: "warm",
  compass: "cool",
  thunder: "cool",
  marble: "cool",
  feather: "cool",
  ribbon: "cool",
  meadow: "cool",
};

/** A sentence as the world writes it: capitalised, with a full stop. */
export function sentence(s: string): string {
  return s[0].toUpperCase() + s.slice(1) + ".";
}
