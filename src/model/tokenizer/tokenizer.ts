// A loaded tokenizer: tokenizer.json through @huggingface/tokenizers, the chat template through
// @huggingface/jinja. Also knows how to describe itself as GGUF metadata.
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import type { GgufValue } from "../gguf.ts";

export interface ChatTurn {
  role: string;
  content: string;
}

export class TextTokenizer {
  private readonly hf: Tokenizer;
  private readonly template: Template | null;
  readonly tokens: string[];
  readonly merges: string[];
  readonly specialIds: Set<number>;
  readonly eosId: number | null;
  readonly bosId: number | null;
  readonly padId: number | null;

  constructor(
    readonly json: Record<string, unknown>,
    readonly config: Record<string, unknown>,
  ) {
    this.hf = new Tokenizer(json, config);
    const chat = config.chat_template;
    this.template = typeof chat === "string" ? new Template(chat) : null;
    const model = json.model as { vocab: Record<string, number>; merges: (string | [string, string])[] };
    const added =
      (json.added_tokens as { id: number; content: string; special: boolean }[] | undefined) ?? [];
    const size = Math.max(...Object.values(model.vocab), ...added.map((a) => a.id)) + 1;
    this.tokens = new Array(size).fill("");
    for (const [t, id] of Object.entries(model.vocab)) this.tokens[id] = t;
    for (const a of added) this.tokens[a.id] = a.content;
    this.merges = model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
    this.specialIds = new Set(added.filter((a) => a.special).map((a) => a.id));
    const idOf = (key: string) => {
      const v = config[key];
      const s = typeof v === "string" ? v : (v as { content?: string } | null)?.content;
      return s ? (this.hf.token_to_id(s) ?? null) : null;
    };
    this.eosId = idOf("eos_token");
    this.bosId = idOf("bos_token");
    this.padId = idOf("pad_token");
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[], skipSpecial = true): string {
    if (ids.length === 0) return "";
    return this.hf.decode(ids, { skip_special_tokens: skipSpecial });
  }

  get chatTemplate(): string | null {
    return (this.config.chat_template as string | undefined) ?? null;
  }

  applyChatTemplate(messages: ChatTurn[], addGenerationPrompt = true): string {
    if (!this.template) return messages.map((m) => m.content).join("\n");
    return this.template.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: "",
      eos_token: "",
    });
  }

  ggufMetadata(): Record<string, GgufValue> {
    const meta: Record<string, GgufValue> = {
      "tokenizer.ggml.model": { type: "string", value: "gpt2" },
      "tokenizer.ggml.pre": { type: "string", value: "gpt-2" },
      "tokenizer.ggml.tokens": { type: "strings", value: this.tokens },
      "tokenizer.ggml.token_type": {
        type: "i32s",
        value: this.tokens.map((_, i) => (this.specialIds.has(i) ? 3 : 1)),
      },
      "tokenizer.ggml.merges": { type: "strings", value: this.merges },
      "tokenizer.ggml.add_bos_token": { type: "bool", value: false },
    };
    if (this.eosId !== null) meta["tokenizer.ggml.eos_token_id"] = { type: "u32", value: this.eosId };
    meta["tokenizer.ggml.bos_token_id"] = { type: "u32", value: this.bosId ?? this.eosId ?? 0 };
    if (this.padId !== null) meta["tokenizer.ggml.padding_token_id"] = { type: "u32", value: this.padId };
    if (this.chatTemplate) meta["tokenizer.chat_template"] = { type: "string", value: this.chatTemplate };
    return meta;
  }
}
