// Supervised fine-tuning over the Tinker API, step for step what the embedded pretrain() does:
// the same seeded batches, the loss on each sequence's scored positions as a mean over the batch's
// scored tokens (cross_entropy with weight 1/N on them: its gradient is pretrain()'s -1/N), then
// Adam with the same schedule, decay and clip. Used by `wz genrm train` on a remote trainer.
import { ADAM_DEFAULTS, learningRate, type Schedule } from "../model/optimizer.ts";
import type { PretrainOptions } from "../model/pretrain.ts";
import { mulberry32 } from "../model/random.ts";
import type { TinkerModel } from "./client.ts";
import { crossEntropyDatum } from "./messages.ts";

export async function remoteSupervised(
  model: TinkerModel,
  sequences: number[][],
  options: PretrainOptions,
): Promise<number[]> {
  const schedule: Schedule = options.schedule ?? {
    kind: "cosine",
    warmupSteps: Math.ceil(options.steps / 20),
    totalSteps: options.steps,
  };
  const random = mulberry32(options.seed);
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const picks = Array.from({ length: options.batchSize }, () => Math.floor(random() * sequences.length));
    const batch = picks.map((i) => ({ seq: sequences[i], start: options.lossStart?.[i] ?? 0 }));
    const total = batch.reduce((s, b) => s + Math.max(0, b.seq.length - 1 - b.start), 0);
    const data = batch.map(({ seq, start }) => {
      const weights = new Float64Array(seq.length - 1);
      for (let t = start; t + 1 < seq.length; t++) weights[t] = 1 / total;
      return crossEntropyDatum(seq, weights);
    });
    const out = await model.forwardBackward(data, "cross_entropy");
    const lr = learningRate(options.lr, schedule, step);
    await model.optimStep({
      learning_rate: lr,
      ...ADAM_DEFAULTS,
      weight_decay: options.weightDecay ?? 0.01,
      grad_clip_norm: options.clip ?? 1,
    });
    // cross_entropy's loss:sum is the weighted sum: with weights 1/N, the batch's mean loss
    const loss = out.metrics["loss:sum"];
    losses.push(loss);
    options.onStep?.({ step, loss, lr, tokens: total });
  }
  return losses;
}
