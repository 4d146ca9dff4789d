// A scalar reward model as a judge: a folder written by wz train-rm (or any one-label
// *ForSequenceClassification), or vLLM's pooling API. It scores each response alone; as a pairwise
// judge it compares the two scores.
import { existsSync } from "node:fs";
import { ScalarRewardJudge } from "../../judge/scalar-judge.ts";
import { VllmPoolingScorer } from "../../llm/vllm-pooling.ts";
import { loadTokenizer } from "../../model/checkpoint.ts";
import { loadRewardModel } from "../../model/reward-model.ts";
import { chatSequence } from "../../rl/data.ts";
import type { BuiltJudge, JudgeKindSpec, JudgeSpec } from "./spec.ts";

/** A scalar reward model (a local folder, or vLLM's pooling API) as a scorer and a pairwise judge. */
function scalarRewardJudge(spec: JudgeSpec): BuiltJudge {
  let score: (prompt: string, response: string) => Promise<number | null>;
  let name: string;
  let failures = () => 0;
  if (spec.rewardModel) {
    if (!existsSync(spec.rewardModel))
      throw new Error(`judge.reward_model: ${spec.rewardModel} does not exist`);
    const rm = loadRewardModel(spec.rewardModel, spec.kernel);
    const tokenizer = loadTokenizer(spec.rewardModel);
    name = `rm:${spec.rewardModel}`;
    score = async (prompt, response) => rm.reward(chatSequence(tokenizer, prompt, response).tokens);
  } else {
    const baseUrl = spec.baseUrls?.[0];
    if (!baseUrl || !spec.model)
      throw new Error("a reward model needs judge.reward_model, or base_url and model");
    const remote = new VllmPoolingScorer({
      baseUrl,
      model: spec.model,
      apiKey: spec.apiKey,
      timeoutMs: spec.timeoutMs,
    });
    name = remote.name;
    score = (prompt, response) => remote.score(prompt, response);
    failures = () => remote.failures;
  }
  const judge = new ScalarRewardJudge(name, score);
  return {
    judge,
    scorer: score,
    close() {},
    describe: () => `${name} (scalar reward${failures() ? `, ${failures()} failed scores` : ""})`,
  };
}

export const scalarRewardModelJudge: JudgeKindSpec = {
  name: "rm",
  description: "a scalar reward model: a folder written by wz train-rm, or vLLM's pooling API",
  check: (j) =>
    !j.reward_model && (!j.base_url || !j.model)
      ? "kind rm needs judge.reward_model (a folder), or judge.base_url and judge.model (vLLM pooling)"
      : null,
  build: scalarRewardJudge,
};
