// Prompt files: JSONL with {"id", "prompt"} or {"id", "messages": [{role, content}, ...]} (the
// last user message is the prompt). Errors name the line. Pure: takes text. The shared shapes of a
// prompt and a rollout live here too, so every layer above reads the same types.

import type { ChatMessage } from "../llm/types.ts";

/** A request to the policy: what the loop samples from, what judges read. */
export interface PromptItem {
  id: string;
  /** The request as text (what judges read). */
  prompt: string;
  /** The request as chat messages, when it is more than one user turn. */
  messages?: ChatMessage[];
}

/** One sampled response, with the tokens the update trains on. */
export interface Rollout {
  group: number;
  member: number;
  promptTokens: number[];
  responseTokens: number[];
  text: string;
  finishReason: string;
}

export function parsePromptsJsonl(text: string, origin = "prompts"): PromptItem[] {
  const rows: PromptItem[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${origin}: line ${i + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch (e) {
      errors.push(`${where}: not valid JSON (${(e as Error).message})`);
      return;
    }
    const id = row.id === undefined ? `line-${i + 1}` : String(row.id);
    if (typeof row.prompt === "string" && row.prompt.trim()) {
      rows.push({ id, prompt: row.prompt });
    } else if (Array.isArray(row.messages)) {
      const user = [...row.messages]
        .reverse()
        .find((m) => m && m.role === "user" && typeof m.content === "string");
      if (!user) errors.push(`${where}: "messages" has no user message with string content`);
      else rows.push({ id, prompt: user.content });
    } else if (typeof row.query === "string") {
      rows.push({ id: row.index === undefined ? id : String(row.index), prompt: row.query });
    } else errors.push(`${where}: expected a non-empty "prompt" string or a "messages" list`);
  });
  if (errors.length)
    throw new Error(
      errors.slice(0, 5).join("\n") + (errors.length > 5 ? `\n(${errors.length - 5} more)` : ""),
    );
  if (rows.length === 0) throw new Error(`${origin}: no prompts`);
  return rows;
}
