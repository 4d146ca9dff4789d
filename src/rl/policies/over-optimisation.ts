// Over-optimisation: over the last `window` monitored steps, the training reward's own figure rose
// while the independent judge's fell. The series so far come from the store, so a resumed run
// warns as the uninterrupted one would have.
import { divergence } from "../monitor.ts";
import type { StepPolicy } from "./types.ts";

export function warnOnOverOptimisation(
  window: number,
  history: { proxy_score_mean?: number | null; eval_score_mean?: number | null }[],
): StepPolicy {
  const proxySeries: number[] = [];
  const evalSeries: number[] = [];
  const add = (m: { proxy_score_mean?: number | null; eval_score_mean?: number | null }) => {
    if (m.proxy_score_mean == null || m.eval_score_mean == null) return false;
    proxySeries.push(m.proxy_score_mean);
    evalSeries.push(m.eval_score_mean);
    return true;
  };
  for (const m of history) add(m);
  return {
    name: "over-optimisation",
    afterStep(step, metrics) {
      if (!add(metrics)) return {};
      const d = divergence(proxySeries, evalSeries, window, 0.1);
      if (!d) return {};
      return {
        warnings: [
          `warning: over-optimisation at step ${step + 1}: the training judge's mean score rose ${d.rising.toFixed(2)} while the independent judge's fell ${(-d.falling).toFixed(2)} over the last ${window} checks (see the report's over-optimisation chart)`,
        ],
      };
    },
  };
}
