// A small byte-level BPE trainer: enough to build complete models from a generated corpus with no
// download. Writes a Hugging Face tokenizer.json (model BPE, ByteLevel pre-tokenizer and decoder).
import { BYTE_TO_CHAR, GPT2_PATTERN, toByteLevel } from "./byte-level.ts";

export const DEFAULT_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

export interface TrainedBpe {
  /** Token strings in id order: 256 bytes, then merges, then special tokens. */
  tokens: string[];
  merges: [string, string][];
  specialTokens: string[];
}

export function trainBpe(
  texts: string[],
  vocabSize: number,
  specialTokens = DEFAULT_SPECIAL_TOKENS,
): TrainedBpe {
  const base = 256 + specialTokens.length;
  if (vocabSize < base) throw new Error(`vocab size must be at least ${base} (256 bytes + special tokens)`);
  // Word frequencies after pre-tokenisation; each word is a list of symbols.
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_PATTERN)) {
      const w = toByteLevel(m[0]);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()].map(([w, n]) => ({ symbols: [...w], n }));
  const tokens = [...BYTE_TO_CHAR];
  const merges: [string, string][] = [];
  const known = new Set(tokens);
  while (tokens.length + specialTokens.length < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    let best = "";
    let bestN = 1; // a pair seen once is not worth a token
    for (const [k, n] of pairs) {
      if (n > bestN || (n === bestN && best !== "" && k < best)) {
        best = k;
        bestN = n;
      }
    }
    if (!best) break;
    const [a, b] = best.split("\u0000");
    const merged = a + b;
    merges.push([a, b]);
    if (!known.has(merged)) {
      tokens.push(merged);
      known.add(merged);
    }
    for (const w of words) {
      const s = w.symbols;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]);
      }
      w.symbols = out;
    }
  }
  return { tokens: tokens.concat(specialTokens), merges, specialTokens };
}

/** The Hugging Face tokenizer.json for a trained BPE. */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** A tokenizer.json for a byte-level BPE: the vocabulary, the merges, the added tokens, the pre-tokenizer. */
export function byteLevelBpeJson(o: {
  vocab: Record<string, number>;
  merges: [string, string][];
  added: AddedToken[];
  preTokenizer?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: o.added.map((a) => ({
      id: a.id,
      content: a.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: a.special,
    })),
    normalizer: null,
    pre_tokenizer: o.preTokenizer ?? {
      type: "ByteLevel",
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: o.vocab,
      merges: o.merges,
    },
  };
}

export function tokenizerJson(bpe: TrainedBpe): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  bpe.tokens.forEach((t, i) => {
    if (!bpe.specialTokens.includes(t)) vocab[t] = i;
  });
  return byteLevelBpeJson({
    vocab,
    merges: bpe.merges.map(([a, b]) => [a, b]),
    added: bpe.specialTokens.map((content) => ({ id: bpe.tokens.indexOf(content), content, special: true })),
  });
}

/** A ChatML template (Qwen's shape) that both @huggingface/jinja and llama.cpp render. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function tokenizerConfigJson(
  bpe: TrainedBpe,
  chatTemplate = CHATML_TEMPLATE,
): Record<string, unknown> {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    unk_token: null,
    chat_template: chatTemplate,
    model_max_length: 4096,
    added_tokens_decoder: Object.fromEntries(
      bpe.specialTokens.map((content) => [
        String(bpe.tokens.indexOf(content)),
        { content, lstrip: false, rstrip: false, normalized: false, single_word: false, special: true },
      ]),
    ),
  };
}
