// Finishing a writing run, in one place: the final weights (merged when LoRA trained adapters)
// as a folder and a GGUF, then the final policy against the initial one on held-out prompts, the
// evaluation judge's figures first and the training judge's after, labelled.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PromptItem } from "../../data/prompts.ts";
import { headToHead } from "../../eval/head-to-head.ts";
import { samplerConcurrency } from "../../llm/llama-sampler.ts";
import type { Sampler } from "../../llm/types.ts";
import {
  exportGguf,
  exportLoraGguf,
  mergedModel,
  saveLoraAdapter,
  saveModelFolder,
} from "../../model/checkpoint.ts";
import type { DecoderModel } from "../../model/decoder.ts";
import type { TextTokenizer } from "../../model/tokenizer/tokenizer.ts";
import type { RunStore } from "../../store/run-store.ts";
import type { BuiltEvaluator } from "../evaluator.ts";
import type { BuiltJudge } from "../judges/spec.ts";
import { finalSummary } from "../summary.ts";
import type { TrainConfig } from "./config.ts";

export async function finishWritingRun(r: {
  config: TrainConfig;
  runDir: string;
  store: RunStore;
  /** The final policy: its weights here, or a sampler of the remote trainer's final weights. */
  policy: { model: DecoderModel; tokenizer: TextTokenizer } | { remote: Sampler; tokenizer: TextTokenizer };
  evalSet: PromptItem[];
  judge: BuiltJudge;
  evaluator: BuiltEvaluator;
  started: number;
  log: (line: string) => void;
}): Promise<number> {
  const { config, runDir, store, policy, evalSet, judge, evaluator, log } = r;
  const sides =
    "remote" in policy
      ? { a: { gguf: "", sampler: policy.remote }, b: join(runDir, "checkpoints", "initial.gguf") }
      : exportFinal(runDir, policy);
  log(`evaluating the final policy against the initial one on ${evalSet.length} held-out prompts ...`);
  const judges = evaluator.independent ? [evaluator.judge, judge.judge] : [judge.judge];
  const h2h = await headToHead({
    ggufA: sides.a.gguf,
    loraA: "lora" in sides.a ? sides.a.lora : undefined,
    samplerA: "sampler" in sides.a ? sides.a.sampler : undefined,
    ggufB: sides.b,
    tokenizer: policy.tokenizer,
    prompts: evalSet,
    samplesPerPrompt: config.eval.samples_per_prompt,
    temperature: config.eval.temperature,
    maxTokens: config.rollout.max_tokens,
    seed: config.seed,
    judges,
    threads: config.rollout.sampler_threads,
    concurrency: samplerConcurrency(config.rollout.sampler_concurrency, config.rollout.sampler_threads),
    summarize: evaluator.monitor.summarize,
    pairFigures: evaluator.monitor.pairFigures,
  });
  const minutes = (performance.now() - r.started) / 60000;
  store.setEval("final_vs_initial", {
    ...h2h,
    evalJudge: evaluator.judge.name,
    trainingJudge: judge.judge.name,
    independent: evaluator.independent,
    minutes,
  });
  store.setMeta("status", "completed");
  const summary = [
    "",
    finalSummary(h2h, {
      prompts: evalSet.length,
      samples: config.eval.samples_per_prompt,
      independent: evaluator.independent,
    }),
    `  time ${minutes.toFixed(1)} min; run folder ${runDir} (${"remote" in policy ? `the final weights stay on the service: ${join(runDir, "checkpoints", `step-${config.train.steps}.tinker.json`)} holds their tinker:// paths` : `final model in ${join(runDir, "final")}`}; wz report ${runDir} draws the curves)`,
  ].join("\n");
  console.log(summary);
  writeFileSync(join(runDir, "summary.txt"), `${summary.trim()}\n`);
  // An evaluation in which a judge never succeeded is no evaluation: say so and fail.
  const empty = h2h.tallies.filter((t) => t.pairs > 0 && t.failed === t.pairs);
  if (empty.length) {
    log(`wz: the final evaluation has no successful comparison by ${empty.map((t) => t.judge).join(", ")}`);
    return 1;
  }
  return 0;
}

/**
 * final/ and final.gguf hold the merged policy. A LoRA policy is evaluated as its sampler saw it:
 * the frozen base as sampled (in rollout.sampler_weights; for a base imported from a Q4_1 file,
 * its own values) with the final adapter, against that base alone. Both sides share the base's
 * arithmetic, and a quantised base samples several times faster than the merged f32 model.
 */
function exportFinal(
  runDir: string,
  policy: { model: DecoderModel; tokenizer: TextTokenizer },
): { a: { gguf: string; lora?: string }; b: string } {
  if (policy.model.lora) saveLoraAdapter(join(runDir, "final-adapter"), policy.model.lora);
  const finalModel = mergedModel(policy.model);
  saveModelFolder(join(runDir, "final"), finalModel, policy.tokenizer);
  const finalGguf = join(runDir, "final.gguf");
  writeFileSync(finalGguf, exportGguf(finalModel, policy.tokenizer));
  if (!policy.model.lora) return { a: { gguf: finalGguf }, b: join(runDir, "checkpoints", "initial.gguf") };
  const adapter = join(runDir, "final-adapter.gguf");
  writeFileSync(adapter, exportLoraGguf(policy.model.lora));
  return { a: { gguf: join(runDir, "policy.gguf"), lora: adapter }, b: join(runDir, "policy.gguf") };
}
