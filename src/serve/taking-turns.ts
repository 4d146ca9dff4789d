// A judge that computes on the event loop's thread (the rule judge) would, under Promise.all over
// a group, run every comparison of the group in one stretch and hold up every other request of
// the service, /healthz included. Taking turns, it runs one comparison at a time with a turn of
// the event loop (setImmediate: after pending I/O) before each, so other requests are answered
// between comparisons. Judges that wait on a model server or llama.cpp are returned unchanged.
import type { PairwiseJudge } from "../judge/types.ts";

export function takingTurns(judge: PairwiseJudge): PairwiseJudge {
  if (!judge.cpuBound) return judge;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    name: judge.name,
    cpuBound: true,
    compare(prompt, responseA, responseB) {
      const turn = queue
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => judge.compare(prompt, responseA, responseB));
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
