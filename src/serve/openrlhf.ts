// Recovering the prompt and the response from what OpenRLHF sends: `query` is the prompt and the
// response decoded together with the chat template's special tokens. Pure.

export interface TemplateMarkers {
  /** Opens the assistant turn, e.g. "<|im_start|>assistant\n". */
  assistantStart: string;
  /** Opens the user turn, e.g. "<|im_start|>user\n". */
  userStart: string;
  /** Markers that end a turn or the text; stripped from the end of a response. */
  endMarkers: string[];
}

export const QWEN_MARKERS: TemplateMarkers = {
  assistantStart: "<|im_start|>assistant\n",
  userStart: "<|im_start|>user\n",
  endMarkers: ["<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>", "<|end_of_text|>"],
};

function stripEnd(text: string, markers: TemplateMarkers): string {
  let t = text;
  for (let changed = true; changed; ) {
    changed = false;
    t = t.replace(/\s+$/, "");
    for (const m of markers.endMarkers) {
      if (t.endsWith(m)) {
        t = t.slice(0, -m.length);
        changed = true;
      }
    }
  }
  return t;
}

/** The response: the query minus its prompt (or, failing that, whatever follows the last assistant marker). */
export function extractResponse(
  query: string,
  prompt: string | undefined,
  markers: TemplateMarkers = QWEN_MARKERS,
): string {
  return extractResponseParts(query, prompt, markers).response;
}

/**
 * The response, and whether a reasoning block was cut from it. A thinking model's reasoning is
 * not part of the written piece, but only a block the template opens is reasoning: one that
 * starts the assistant turn (`<think>` first) or that the prompt leaves open (a template whose
 * generation prompt ends in `<think>`). A `</think>` anywhere else is the policy's own text and
 * is judged with the rest: cutting at it would hide everything before it from the judge.
 */
export function extractResponseParts(
  query: string,
  prompt: string | undefined,
  markers: TemplateMarkers = QWEN_MARKERS,
): { response: string; reasoningStripped: boolean } {
  let rest: string;
  let opened = false;
  if (prompt && query.startsWith(prompt)) {
    rest = query.slice(prompt.length);
    opened = /<think>\s*$/.test(prompt);
  } else {
    const at = query.lastIndexOf(markers.assistantStart);
    rest = at >= 0 ? query.slice(at + markers.assistantStart.length) : query;
  }
  if (rest.startsWith(markers.assistantStart)) rest = rest.slice(markers.assistantStart.length);
  const close = rest.indexOf("</think>");
  const startsWithThink = /^\s*<think>/.test(rest);
  if (close >= 0 && (opened || startsWithThink)) {
    return {
      response: stripEnd(rest.slice(close + "</think>".length), markers).trim(),
      reasoningStripped: true,
    };
  }
  return { response: stripEnd(rest, markers).trim(), reasoningStripped: false };
}

/** The user's request inside a templated prompt (the last user turn), or the prompt itself. */
export function extractUserPrompt(prompt: string, markers: TemplateMarkers = QWEN_MARKERS): string {
  const at = prompt.lastIndexOf(markers.userStart);
  if (at < 0) return stripEnd(prompt.replace(markers.assistantStart, ""), markers).trim();
  let user = prompt.slice(at + markers.userStart.length);
  const end = markers.endMarkers.map((m) => user.indexOf(m)).filter((i) => i >= 0);
  if (end.length) user = user.slice(0, Math.min(...end));
  return user.trim();
}
