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
  let rest: string;
  if (prompt && query.startsWith(prompt)) rest = query.slice(prompt.length);
  else {
    const at = query.lastIndexOf(markers.assistantStart);
    rest = at >= 0 ? query.slice(at + markers.assistantStart.length) : query;
  }
  if (rest.startsWith(markers.assistantStart)) rest = rest.slice(markers.assistantStart.length);
  // A thinking model's reasoning is not part of the written piece.
  const think = rest.lastIndexOf("</think>");
  if (think >= 0) rest = rest.slice(think + "</think>".length);
  return stripEnd(rest, markers).trim();
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
