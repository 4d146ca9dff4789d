// The trained judge's files and their held-out evaluation, through llama.cpp exactly as
// wz judge --gguf runs it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Pair } from "../../data/pairs.ts";
import { accuracySummary, type Rate } from "../../eval/genrm-accuracy.ts";
import type { TemplateName } from "../../judge/template.ts";
import type { Verdict } from "../../judge/types.ts";
import { exportGguf, mergedModel, saveLoraAdapter, saveModelFolder } from "../../model/checkpoint.ts";
import type { DecoderModel } from "../../model/decoder.ts";
import type { TextTokenizer } from "../../model/tokenizer/tokenizer.ts";
import { createJudge } from "../judges/index.ts";
import { JUDGE_TEMPLATE_KEY } from "../judges/spec.ts";
import { forEachConcurrent } from "../pool.ts";
import { Progress } from "../progress.ts";

export const pct = (r: Rate) => (r.value === null ? "n/a" : `${(100 * r.value).toFixed(1)}%`);

export async function evaluateJudge(gguf: string, pairs: Pair[], maxTokens: number, label: string) {
  const built = createJudge({ kind: "genrm", gguf, cache: null, maxTokens, parseRetries: 0 });
  const verdicts: Verdict[] = new Array(pairs.length);
  const progress = new Progress(`held-out ${label}`, pairs.length);
  await forEachConcurrent(
    pairs,
    8,
    (p) => built.judge.compare(p.prompt, p.responseA, p.responseB),
    (v, i) => {
      verdicts[i] = v;
      progress.tick();
    },
  );
  progress.finish();
  built.close();
  const tokens = verdicts.flatMap((v) => v.conditions.map((c) => c.usage?.completion_tokens ?? 0));
  return {
    summary: accuracySummary(pairs, verdicts),
    tokensPerJudgment: tokens.reduce((s, x) => s + x, 0) / Math.max(1, tokens.length),
  };
}

/**
 * The trained judge, written once: final/ (a Hugging Face folder), final-adapter/ (PEFT, when the
 * RLVR trained adapters) and judge.gguf for llama.cpp with its template recorded. Both final/ and
 * judge.gguf hold the merged model: with rl.lora, the adapters folded into the base.
 */
export function saveTrainedJudge(
  out: string,
  policy: { model: DecoderModel; tokenizer: TextTokenizer },
  template: TemplateName,
): { finalDir: string; judgeGguf: string } {
  const finalDir = join(out, "final");
  if (policy.model.lora) saveLoraAdapter(join(out, "final-adapter"), policy.model.lora);
  const judgeModel = mergedModel(policy.model);
  saveModelFolder(finalDir, judgeModel, policy.tokenizer);
  const judgeGguf = join(out, "judge.gguf");
  writeFileSync(
    judgeGguf,
    exportGguf(judgeModel, policy.tokenizer, "f32", "writing-zero-genrm", { [JUDGE_TEMPLATE_KEY]: template }),
  );
  return { finalDir, judgeGguf };
}
