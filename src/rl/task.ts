// What the loop trains: a task supplies prompts (as chat messages) and the reward of a group of
// responses to one prompt, as advantages. The loop itself only samples, asks the task, updates and
// records. Writing with a pairwise judge and BRPO is the first task (recipes/writing-rl/task.ts);
// training a GenRM on labelled pairs with a verifiable reward is another (recipes/genrm/task.ts).

import type { PromptItem } from "../data/prompts.ts";
import type { GroupAdvantages } from "./estimators/types.ts";

export interface Task {
  /** Identifies the task and its reward in logs, e.g. "writing: brpo with rules:wz-rules-v2". */
  readonly name: string;
  /** The group's advantages (masked members and a dropped group are marked, never scored 0 in silence). */
  scoreGroup(
    prompt: PromptItem,
    responses: string[],
    at: { step: number; group: number },
  ): Promise<GroupAdvantages>;
  /**
   * The training reward's own per-response figure, when it has one (a scalar score on [0, 10]):
   * drawn against the independent judge's to show over-optimisation.
   */
  proxyScore?(prompt: PromptItem, response: string): Promise<number | null>;
  /**
   * The step's prompts, when the task draws them itself (e.g. both orders of a pair together);
   * otherwise the loop draws `count` training prompts without replacement. `round` > 0 asks for
   * further prompts to refill groups that dynamic sampling dropped.
   */
  drawPrompts?(step: number, count: number, round: number): PromptItem[];
  /** All of a step's groups at once, when a group's reward depends on the others (one call per step). */
  scoreStep?(prompts: PromptItem[], groups: string[][]): GroupAdvantages[];
  /** The task's part of the step's progress line (default: win rate, advantage, dropped, masked). */
  progress?(metrics: Record<string, number | null>): string;
  /** Task-specific figures of the step (merged into its metrics). */
  stepMetrics?(prompts: PromptItem[], groups: string[][]): Record<string, number | null>;
}

/** A figure in a progress line: fixed digits, "-" when there is none. */
export function figure(x: number | null | undefined, digits = 2): string {
  return x == null ? "-" : x.toFixed(digits);
}

/** The progress line's part for a task that scores groups: its default middle. */
export function groupProgress(m: Record<string, number | null>): string {
  return `win ${figure(m.win_rate_vs_reference)} adv ${figure(m.advantage_mean)} drop ${m.dropped_groups}/${m.groups} masked ${m.masked}`;
}
