// The policy on the embedded engine: our decoder trained in-process, sampled by llama.cpp from a
// GGUF export of the current weights (with LoRA, the base once and the adapter each step), its
// state saved beside the run (state.ts) so a killed run resumes to the same weights and moments.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LlamaSampler, samplerConcurrency } from "../llm/llama-sampler.ts";
import type { Sampler } from "../llm/types.ts";
import {
  exportGguf,
  exportLoraGguf,
  type GgufWeightType,
  saveLoraAdapter,
  saveModelFolder,
} from "../model/checkpoint.ts";
import type { DecoderModel } from "../model/decoder.ts";
import { learningRate, type Schedule } from "../model/optimizer.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { groupOf, Trainer } from "../model/trainer.ts";
import type { LoopConfig } from "./config.ts";
import type { TrainingItem } from "./data.ts";
import type { PolicyTrainer } from "./policy-trainer.ts";
import { loadState, pruneStates, saveState } from "./state.ts";
import { policyUpdate, type UpdateOptions } from "./update.ts";

export function scheduleOf(config: LoopConfig): Schedule {
  return config.train.schedule === "constant"
    ? { kind: "constant" }
    : { kind: "cosine", warmupSteps: config.train.warmup_steps, totalSteps: config.train.steps };
}

/** The scheduled learning rate of `step` (0-based), whichever trainer applies it. */
export function lrOf(config: LoopConfig, step: number): number {
  return learningRate(config.train.lr, scheduleOf(config), step);
}

function writeAtomic(path: string, bytes: Buffer): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}

export class LocalTrainer implements PolicyTrainer {
  private readonly trainer: Trainer;
  private sampler: Sampler | null = null;

  constructor(
    private readonly o: {
      config: LoopConfig;
      runDir: string;
      policy: DecoderModel;
      /** The frozen initial policy: the KL reference. */
      initial: DecoderModel;
      tokenizer: TextTokenizer;
      /** Defaults to llama.cpp in-process; tests hand in a scripted one. */
      sampler?: Sampler;
    },
  ) {
    const { config, policy } = o;
    this.trainer = new Trainer([groupOf(policy.trainable())], {
      lr: config.train.lr,
      weightDecay: config.train.weight_decay,
      schedule: scheduleOf(config),
      gradClip: config.train.grad_clip,
    });
  }

  describe(): string {
    return `the embedded engine (${this.o.policy.lora ? "LoRA" : "full weights"}, kernel ${this.o.policy.kernel.name})`;
  }

  async restore(step: number): Promise<void> {
    loadState(this.o.runDir, step, this.o.policy, this.trainer.optimizer);
  }

  async start(): Promise<Sampler> {
    const r = this.o.config.rollout;
    this.sampler =
      this.o.sampler ??
      new LlamaSampler(
        1024,
        r.sampler_threads,
        r.sampler_parallel,
        samplerConcurrency(r.sampler_concurrency, r.sampler_threads),
      );
    await this.syncWeights(true);
    return this.sampler;
  }

  /**
   * Weight sync: full weights are re-exported as GGUF; with LoRA the base GGUF is written once and
   * only the adapter is re-exported, then loaded by llama.cpp at context creation.
   */
  private async syncWeights(first: boolean): Promise<void> {
    const { runDir, policy, tokenizer } = this.o;
    const weights: GgufWeightType = this.o.config.rollout.sampler_weights;
    const gguf = join(runDir, "policy.gguf");
    if (!policy.lora) {
      writeAtomic(gguf, exportGguf(policy, tokenizer, weights));
      await this.sampler!.load(gguf);
      return;
    }
    if (first) writeAtomic(gguf, exportGguf(policy, tokenizer, weights));
    const adapter = join(runDir, "policy-adapter.gguf");
    writeAtomic(adapter, exportLoraGguf(policy.lora));
    await this.sampler!.load(gguf, [{ filePath: adapter, scale: 1 }]);
  }

  async update(items: TrainingItem[], o: UpdateOptions) {
    return policyUpdate(this.o.policy, this.o.initial, this.trainer, items, o);
  }

  sync(): Promise<void> {
    return this.syncWeights(false);
  }

  async saveState(step: number): Promise<void> {
    saveState(this.o.runDir, step, this.o.policy, this.trainer.optimizer);
  }

  pruneStates(step: number): void {
    pruneStates(this.o.runDir, step);
  }

  async checkpoint(step: number): Promise<void> {
    const { runDir, policy, tokenizer } = this.o;
    saveModelFolder(join(runDir, "checkpoints", `step-${step + 1}`), policy, tokenizer);
    if (policy.lora) saveLoraAdapter(join(runDir, "checkpoints", `step-${step + 1}-adapter`), policy.lora);
  }

  async close(): Promise<void> {
    await this.sampler?.close();
  }
}
