// Next-token targets of one sequence: position t predicts token t+1 when t >= start, and is left
// out (-1) before it, so a prompt's tokens take no loss and get no gradient. The one place where
// pretraining, SFT, scoring and the RL loss build their targets.
export function nextTokenTargets(tokens: number[], start = 0): number[] {
  return tokens.map((_, t) => (t >= start && t + 1 < tokens.length ? tokens[t + 1] : -1));
}
