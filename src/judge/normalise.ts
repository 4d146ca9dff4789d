// Text as a judge should read it: Unicode-normalised (NFKC: full-width forms, ligatures and
// compatibility characters become their plain letters, so "＼boxed" is "\boxed" and "system：" is
// "system:"), without invisible format characters (zero-width spaces and joiners, soft hyphens,
// bidirectional marks, word joiners, the BOM) that hide a marker from a pattern while a model
// reads straight through them. Pure.

/**
 * Invisible characters: every format character (zero-width spaces and joiners, soft hyphen,
 * bidirectional marks, word joiners, the BOM), variation selectors, the combining grapheme joiner
 * and the Hangul fillers that render as nothing.
 */
const INVISIBLE = /\p{Cf}|\p{Variation_Selector}|\u034f|[\u115f\u1160\u3164\uffa0]/gu;

export function normaliseText(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "");
}

/**
 * Latin look-alikes (Cyrillic and Greek letters that render as Latin ones), for detecting words
 * such as "evaluator" spelled with a Cyrillic "а". Used on a copy for matching, never on the text
 * a judge scores.
 */
// Each letter of LOOK_ALIKE renders as the Latin letter at the same place in LATIN.
const LOOK_ALIKE = "авеёкмнорстухіјѕԁԛԝѵһАВЕКМНОРСТУХІЈЅαεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ";
const LATIN = "abeekmhopctyxijsdqwvhABEKMHOPCTYXIJSaeikvoptuxABEZHIKMNOPTYX";
const CONFUSABLE = new RegExp(`[${LOOK_ALIKE}]`, "g");

/** Latin look-alikes folded to Latin, one UTF-16 unit for one: indices stay aligned. */
export function foldLookAlikes(text: string): string {
  return text.replace(CONFUSABLE, (c) => LATIN[LOOK_ALIKE.indexOf(c)]);
}

/** Normalised, with Latin look-alikes folded to Latin: the form detectors match on. */
export function foldForMatching(text: string): string {
  return foldLookAlikes(normaliseText(text));
}
