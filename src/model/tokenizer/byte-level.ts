// GPT-2's byte-level alphabet: every byte maps to a printable character (space -> "Ġ", "\n" -> "Ċ"),
// so any UTF-8 text is a string over 256 symbols. Both llama.cpp and Hugging Face use it.

export const BYTE_TO_CHAR: string[] = (() => {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (keep.includes(b)) map[b] = String.fromCharCode(b);
    else map[b] = String.fromCharCode(256 + extra++);
  }
  return map;
})();

export const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

export function toByteLevel(text: string): string {
  let s = "";
  for (const b of Buffer.from(text, "utf8")) s += BYTE_TO_CHAR[b];
  return s;
}

/** GPT-2's pre-tokenisation pattern (llama.cpp's "gpt-2" pre-tokenizer uses the same one). */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
