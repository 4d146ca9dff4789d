// npm run bench:rule-judge: the rule judge's work on long responses, the service's worst case (a
// repetition loop), against the definition of the repetition check written the slow way (the
// quadratic scan the check replaced) measured in the same run. Linear work doubles with the
// length; the definition's quadruples.
import { longestRepeatRun } from "../src/judge/constraints.ts";
import { RuleJudge } from "../src/judge/rule-judge.ts";

/** The definition: from each start, count back-to-back copies of each n-gram. */
function byDefinition(text: string, maxN = 4): number {
  const w = text.toLowerCase().match(/[\p{L}\p{N}'-]+/gu) ?? [];
  let best = 1;
  for (let n = 1; n <= maxN; n++)
    for (let i = 0; i + n <= w.length; i++) {
      let run = 1;
      while (
        i + (run + 1) * n <= w.length &&
        w.slice(i + run * n, i + (run + 1) * n).join(" ") === w.slice(i, i + n).join(" ")
      )
        run++;
      best = Math.max(best, run);
    }
  return best;
}

function ms(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const judge = new RuleJudge();
const prompt = "Write one sentence about rain. Include the word umbrella. Use at most 20 words.";
console.log(
  "words | longestRepeatRun ms | definition ms | ratio | rule judge compare ms (both sides that long)",
);
for (const words of [1000, 2000, 4000]) {
  const text = "rain ".repeat(words);
  const ours = ms(() => longestRepeatRun(text));
  const peer = ms(() => byDefinition(text));
  const t0 = performance.now();
  await judge.compare(prompt, text, text);
  const compare = performance.now() - t0;
  console.log(
    `${words} | ${ours.toFixed(2)} | ${peer.toFixed(0)} | ${(peer / ours).toFixed(0)}x | ${compare.toFixed(1)}`,
  );
}
