// How much of a group's judge prompts a prefix cache can reuse: for each call in issue order, the
// longest token prefix it shares with any earlier call (an engine's prefix cache holds them all),
// over all prompt tokens. Pure; the tokenizer is handed in.
export function prefixReuseShare(prompts: string[], tokenize: (text: string) => string[]): number {
  const seqs = prompts.map(tokenize);
  let reused = 0;
  let total = 0;
  seqs.forEach((s, i) => {
    total += s.length;
    let best = 0;
    for (let j = 0; j < i; j++) {
      const o = seqs[j];
      let k = 0;
      while (k < s.length && k < o.length && s[k] === o[k]) k++;
      if (k > best) best = k;
    }
    reused += best;
  });
  return total ? reused / total : 0;
}
