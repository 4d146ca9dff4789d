// Next-token pretraining on token sequences: the same forward/backward the RL loss uses, with
// d(loss)/d(logp) = -1/N on every scored position, a batch's sequences packed into shared passes.
// Used to build the tiny base model and for supervised fine-tuning.

import type { DecoderModel } from "./decoder.ts";
import type { Schedule } from "./optimizer.ts";
import { DEFAULT_PACK_MIB, packIndices, rowsWithin } from "./packing.ts";
import { mulberry32 } from "./random.ts";
import { nextTokenTargets } from "./targets.ts";
import { groupOf, Trainer } from "./trainer.ts";

export interface PretrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  schedule?: Schedule;
  weightDecay?: number;
  clip?: number;
  seed: number;
  /** Per sequence, the first position whose next token is scored (0 = all; SFT: the response start - 1). */
  lossStart?: number[];
  /** Activation memory of one packed pass, MiB (default 256; 0: one sequence a pass). */
  packMiB?: number;
  onStep?: (info: { step: number; loss: number; lr: number; tokens: number }) => void;
}

/** Mean next-token cross-entropy (nats) of the model on sequences. */
export function evalLoss(model: DecoderModel, sequences: number[][]): number {
  let sum = 0;
  let n = 0;
  for (const seq of sequences) {
    const { logprobs } = model.forward(seq, nextTokenTargets(seq), false);
    for (let t = 0; t + 1 < seq.length; t++) sum -= logprobs[t];
    n += seq.length - 1;
  }
  return sum / Math.max(1, n);
}

export function pretrain(model: DecoderModel, sequences: number[][], options: PretrainOptions): number[] {
  model.zeroGrad();
  const trainer = new Trainer([groupOf(model.trainable())], {
    lr: options.lr,
    weightDecay: options.weightDecay ?? 0.01,
    schedule: options.schedule ?? {
      kind: "cosine",
      warmupSteps: Math.ceil(options.steps / 20),
      totalSteps: options.steps,
    },
    gradClip: options.clip ?? 1,
  });
  const random = mulberry32(options.seed);
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    model.zeroGrad();
    const picks = Array.from({ length: options.batchSize }, () => Math.floor(random() * sequences.length));
    // Only positions at or after a sequence's loss start are scored (SFT: the response tokens).
    const batch = picks.map((i) => ({ seq: sequences[i], start: options.lossStart?.[i] ?? 0 }));
    const total = batch.reduce((s, b) => s + Math.max(0, b.seq.length - 1 - b.start), 0);
    let loss = 0;
    const lengths = batch.map((b) => b.seq.length);
    const maxRows = rowsWithin(model.cfg, options.packMiB ?? DEFAULT_PACK_MIB, Math.max(...lengths));
    for (const pack of packIndices(lengths, maxRows)) {
      const seqs = pack.map((i) => ({
        tokens: batch[i].seq,
        targets: nextTokenTargets(batch[i].seq, batch[i].start),
      }));
      const results = model.forwardPacked(seqs);
      const ds = pack.map((i, j) => {
        const { seq, start } = batch[i];
        const d = new Float64Array(seq.length);
        for (let t = start; t + 1 < seq.length; t++) {
          loss -= results[j].logprobs[t];
          d[t] = -1 / total;
        }
        return d;
      });
      model.backwardPacked(ds);
    }
    const lr = trainer.lrAt(step);
    trainer.apply(lr);
    losses.push(loss / total);
    options.onStep?.({ step, loss: loss / total, lr, tokens: total });
  }
  return losses;
}
