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

/** A sentence as the world writes it: capitalised, with a full stop. */
export function sentence(s: string): string {
  return s[0].toUpperCase() + s.slice(1) + ".";
}
