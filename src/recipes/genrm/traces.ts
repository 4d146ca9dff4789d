// Cold-start traces by rejection sampling: a teacher critiques each labelled pair in both orders,
// and a pair's two traces are kept only when both prefer the labelled response. Rows are
// {"messages": [user, assistant]}, rendered by the same template as inference.
import type { Pair } from "../../data/pairs.ts";
import { DEFAULT_PRINCIPLE_SET } from "../../judge/principles.ts";
import { renderTemplate, type TemplateName } from "../../judge/template.ts";
import type { PairwiseJudge } from "../../judge/types.ts";
import { parseVerdict } from "../../judge/verdict-parser.ts";
import type { ChatMessage } from "../../llm/types.ts";
import { type CritiqueStyle, type TasteRevision, teacherCritique } from "../../world/tiny-teacher.ts";
import { forEachConcurrent } from "../pool.ts";
import { Progress } from "../progress.ts";

export interface Teacher {
  name: string;
  /** The critique of the pair as shown (first, second), or null when it failed. */
  critique(prompt: string, first: string, second: string): Promise<string | null>;
}

/** Rejection sampling: keep a pair's two traces only when both prefer the labelled response. */
export async function makeTraces(
  pairs: Pair[],
  teacher: Teacher,
  template: TemplateName,
): Promise<{ rows: { messages: ChatMessage[] }[]; kept: number; rejected: number; failed: number }> {
  const rows: { messages: ChatMessage[] }[] = [];
  let kept = 0;
  let rejected = 0;
  let failed = 0;
  const progress = new Progress("traces", pairs.length);
  await forEachConcurrent(
    pairs,
    16,
    async (p) => {
      const orders = [
        { first: p.responseA, second: p.responseB, preferred: p.label === "a" ? 1 : 2 },
        { first: p.responseB, second: p.responseA, preferred: p.label === "a" ? 2 : 1 },
      ];
      return Promise.all(
        orders.map(async (o) => ({ ...o, text: await teacher.critique(p.prompt, o.first, o.second) })),
      );
    },
    (traces, i) => {
      progress.tick();
      const p = pairs[i];
      if (traces.some((t) => t.text === null)) {
        failed++;
        return;
      }
      if (!prefersLabel(traces as { preferred: number; text: string }[])) {
        rejected++;
        return;
      }
      kept++;
      for (const t of traces) {
        const user = renderTemplate(
          template,
          { prompt: p.prompt, first: t.first, second: t.second },
          DEFAULT_PRINCIPLE_SET,
        );
        rows.push({ messages: [...user, { role: "assistant", content: t.text! }] });
      }
    },
  );
  progress.finish();
  return { rows, kept, rejected, failed };
}

/** Both orders' critiques score the labelled response higher. */
function prefersLabel(traces: { preferred: number; text: string }[]): boolean {
  return traces.every((t) => {
    const v = parseVerdict(t.text);
    return v.ok && (t.preferred === 1 ? v.first > v.second : v.second > v.first);
  });
}

/**
 * The pairs whose label the teacher's critique explains in both orders: the RLVR pairs when the
 * config says rl_pairs: teacher_agrees. A label the teacher contradicts is a rater's leaning, a
 * careless flip, or a taste the teacher lacks; the teacher learned the raters' taste before it
 * wrote (teacher_taste: revised), so what is left is mostly the first two.
 */
export async function pairsTheTeacherExplains(
  pairs: Pair[],
  teacher: Teacher,
): Promise<{ kept: Pair[]; dropped: number; failed: number }> {
  const agrees: boolean[] = [];
  let dropped = 0;
  let failed = 0;
  await forEachConcurrent(
    pairs,
    16,
    async (p) =>
      Promise.all([
        teacher
          .critique(p.prompt, p.responseA, p.responseB)
          .then((text) => ({ text, preferred: p.label === "a" ? 1 : 2 })),
        teacher
          .critique(p.prompt, p.responseB, p.responseA)
          .then((text) => ({ text, preferred: p.label === "a" ? 2 : 1 })),
      ]),
    (traces, i) => {
      if (traces.some((t) => t.text === null)) failed++;
      else if (prefersLabel(traces as { preferred: number; text: string }[])) agrees[i] = true;
      else dropped++;
    },
  );
  // in the pairs' own order, whatever order the critiques finished in
  return { kept: pairs.filter((_, i) => agrees[i]), dropped, failed };
}

export function tinyTeacher(style: CritiqueStyle = "detailed", taste?: TasteRevision): Teacher {
  return {
    name: `tiny critic (a general reader's checks and a taste of its own${taste ? ", revised on the labels" : ""}; never the gold; ${style} critiques)`,
    critique: async (p, a, b) => teacherCritique(p, a, b, style, taste),
  };
}

/** Any pairwise GenRM as a teacher: its raw reply in each order is the trace. */
export function judgeTeacher(judge: PairwiseJudge): Teacher {
  return {
    name: judge.name,
    async critique(prompt, first, second) {
      const v = await judge.compare(prompt, first, second);
      const c = v.conditions.find((x) => x.order === "ab");
      return c && c.error === null ? c.raw : null;
    },
  };
}
