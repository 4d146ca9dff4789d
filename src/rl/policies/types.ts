// A step policy reads each finished step and may warn or stop the run (resumably). The loop runs
// the ones its recipe hands it, in order, after the step is stored; none of them changes a step.
import type { GroupAdvantages } from "../estimators/types.ts";
import type { Metrics } from "../metrics.ts";

export interface StepOutcome {
  /** Lines for the log, each said once when it first becomes true. */
  warnings?: string[];
  /** Why the run must stop now (it can be resumed once the cause is fixed). */
  stop?: string;
}

export interface StepPolicy {
  readonly name: string;
  afterStep(step: number, metrics: Metrics, estimates: GroupAdvantages[]): StepOutcome;
}
