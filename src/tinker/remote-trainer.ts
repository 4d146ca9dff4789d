// The policy on a Tinker-compatible service (the hosted one, SkyRL's, `wz tinker`): the loop's
// update goes over the wire, exactly as the embedded one computes it. Per minibatch: `forward`
// gives the current log-probabilities, our own policyLoss (clip, token-mean, the KL guard) turns
// them into dL/dlogp, and `forward_backward` with cross_entropy applies it (weights = -dL/dlogp:
// cross_entropy's gradient is -weight per token, the way the SDK's forward_backward_custom
// does it); `optim_step` then runs Adam with the loop's rate, decay and clip. The KL reference's
// log-probabilities come from a sampling session on the base (the SDK's compute_logprobs).
// Sampling goes to a session on weights saved for the sampler after each update. The state after
// each step is saved on the service (save_state, with the optimizer); the run folder keeps its
// tinker:// path, so a killed run resumes from the store like a local one.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sample, SampleOptions, Sampler } from "../llm/types.ts";
import { ADAM_DEFAULTS } from "../model/optimizer.ts";
import type { LoopConfig } from "../rl/config.ts";
import type { ResponseLogprobs, TrainingItem } from "../rl/data.ts";
import type { PolicyTrainer } from "../rl/policy-trainer.ts";
import { pruneStates, statePath } from "../rl/state.ts";
import { LossTally, minibatchesOf, type UpdateOptions, type UpdateResult } from "../rl/update.ts";
import type { TinkerClient, TinkerModel, TinkerSampler } from "./client.ts";
import { crossEntropyDatum, type Datum } from "./messages.ts";

export interface RemoteTrainerOptions {
  config: LoopConfig;
  runDir: string;
  client: TinkerClient;
  /** The service's name of the policy's base model. */
  baseModel: string;
  /** LoRA rank; null: every weight (wz tinker allows it, the hosted service does not). */
  loraRank: number | null;
  weightDecay: number;
  gradClip: number;
  /** A saved state (tinker://) the policy starts from instead of the base (wz genrm train's SFT judge). */
  initialState?: string;
  /** Sampler weights (tinker://) of the KL reference; the base by default. */
  reference?: string;
  log: (line: string) => void;
}

/** What the run folder keeps of a state saved on the service. */
interface RemoteState {
  path: string;
  model_id: string;
  base_model: string;
  step: number;
}

/** A training item as the API's datum; weights default to 0 (a forward pass takes no loss). */
function datum(item: TrainingItem, weights?: number[]): Datum {
  const t = item.sequence.tokens;
  return crossEntropyDatum(t, weights ?? new Array(t.length - 1).fill(0));
}

/** The response's span of a datum's outputs: positions promptLength-1 .. length-2 predict it. */
function responseSpan(item: TrainingItem, all: ArrayLike<number>): ResponseLogprobs {
  const from = item.sequence.promptLength - 1;
  const to = item.sequence.tokens.length - 1;
  if (all.length !== to)
    throw new Error(`the service returned ${all.length} log-probabilities for a datum of ${to} targets`);
  return {
    logp: Float64Array.from(Array.prototype.slice.call(all, from, to) as number[]),
    // the API returns no entropies: the metric is left empty (null), not estimated
    entropy: new Float64Array(0),
    length: item.sequence.tokens.length,
    from,
  };
}

export class RemoteTrainer implements PolicyTrainer {
  private session = "";
  private model: TinkerModel | null = null;
  private reference: TinkerSampler | null = null;
  private current: TinkerSampler | null = null;
  private samplingSeq = 0;
  private syncs = 0;
  private restoreFrom: RemoteState | null = null;

  constructor(private readonly o: RemoteTrainerOptions) {}

  describe(): string {
    const lora = this.o.loraRank ? `LoRA rank ${this.o.loraRank}` : "full weights";
    return `the Tinker service at ${this.o.client.baseUrl} (model ${this.o.baseModel}, ${lora})`;
  }

  async restore(step: number): Promise<void> {
    const file = join(statePath(this.o.runDir, step), "remote.json");
    let state: RemoteState;
    try {
      state = JSON.parse(readFileSync(file, "utf8")) as RemoteState;
    } catch (e) {
      throw new Error(
        `${file}: the remote state of step ${step + 1} cannot be read: ${(e as Error).message}`,
      );
    }
    if (state.base_model !== this.o.baseModel)
      throw new Error(`${file} is a state of ${state.base_model}; trainer.model is ${this.o.baseModel}`);
    this.restoreFrom = state;
  }

  async start(): Promise<Sampler> {
    const { client, baseModel, loraRank } = this.o;
    this.session = await client.createSession();
    this.model = await client.createModel(
      this.session,
      0,
      baseModel,
      loraRank ? { rank: loraRank, seed: this.o.config.seed } : null,
    );
    if (this.restoreFrom) {
      await this.model.loadState(this.restoreFrom.path, true);
      this.o.log(`remote trainer: loaded ${this.restoreFrom.path} with its optimizer`);
    } else if (this.o.initialState) await this.model.loadState(this.o.initialState, false);
    this.reference = await client.createSamplingSession(
      this.session,
      this.samplingSeq++,
      this.o.reference ? { modelPath: this.o.reference } : { baseModel },
    );
    await this.sync();
    return this.sampler;
  }

  /** Samples the weights of the last sync (after the loop: the final policy, for its evaluation). */
  readonly sampler: Sampler = {
    load: async () => {
      throw new Error("the remote trainer's sampler follows the service's weights; it loads no file");
    },
    sample: (prompt: number[], o: SampleOptions) => this.sample(prompt, o),
    close: async () => {},
  };

  private async sample(prompt: number[], o: SampleOptions): Promise<Sample[]> {
    const out = await this.current!.sample(prompt, o.n, {
      max_tokens: o.maxTokens,
      seed: o.seed,
      temperature: o.temperature,
      top_p: o.topP,
      top_k: o.topK && o.topK > 0 ? o.topK : -1,
      stop: o.stopTokens,
    });
    return out.sequences.map((s) => ({ tokens: s.tokens, finishReason: s.stopReason }));
  }

  async sync(): Promise<void> {
    const path = await this.model!.saveForSampler(`sampler-${this.syncs++}`);
    this.current = await this.o.client.createSamplingSession(this.session, this.samplingSeq++, {
      modelPath: path,
    });
  }

  /** The frozen base's log-probabilities of each item's response (prompt logprobs of the whole). */
  private async referenceLogprobs(items: TrainingItem[]): Promise<ResponseLogprobs[]> {
    return Promise.all(
      items.map(async (item) => {
        const t = item.sequence.tokens;
        const out = await this.reference!.sample(t, 1, { max_tokens: 1, temperature: 1, seed: 0 }, true);
        if (!out.promptLogprobs || out.promptLogprobs.length !== t.length)
          throw new Error("the service returned no prompt log-probabilities for the KL reference");
        // promptLogprobs[i] is token i's given the ones before it; the datum's output j is token j+1's
        return responseSpan(item, out.promptLogprobs.slice(1));
      }),
    );
  }

  private async currentLogprobs(items: TrainingItem[]): Promise<ResponseLogprobs[]> {
    const out = await this.model!.forward(items.map((it) => datum(it)));
    return items.map((it, i) => responseSpan(it, out.outputs[i].logprobs));
  }

  async update(items: TrainingItem[], o: UpdateOptions): Promise<UpdateResult> {
    // As policyUpdate: with a single update the first forward gives the old log-probabilities.
    const singleUpdate = o.epochs * o.minibatches === 1;
    const old: ResponseLogprobs[] =
      singleUpdate || items.length === 0 ? new Array(items.length) : await this.currentLogprobs(items);
    const ref = items.length === 0 ? [] : await this.referenceLogprobs(items);
    const tally = new LossTally(o);
    let gradNorm = 0;
    for (const { chunk, tokens } of minibatchesOf(items, o)) {
      const cur = await this.currentLogprobs(chunk.map((i) => items[i]));
      const data = chunk.map((i, j) => {
        old[i] ??= cur[j];
        const weights = new Array(items[i].sequence.tokens.length - 1).fill(0);
        tally.grads(cur[j], old[i], ref[i], items[i].advantage, tokens).forEach((g, t) => {
          weights[cur[j].from + t] = -g;
        });
        return datum(items[i], weights);
      });
      await this.model!.forwardBackward(data, "cross_entropy");
      const metrics = await this.model!.optimStep({
        learning_rate: o.lr,
        ...ADAM_DEFAULTS,
        weight_decay: this.o.weightDecay,
        grad_clip_norm: this.o.gradClip,
      });
      gradNorm = metrics["grad_norm:mean"] ?? Number.NaN;
    }
    return tally.result(old, ref, gradNorm);
  }

  async saveState(step: number): Promise<void> {
    const path = await this.model!.saveState(`state-${String(step).padStart(6, "0")}`);
    const final = statePath(this.o.runDir, step);
    const tmp = `${final}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const state: RemoteState = { path, model_id: this.model!.id, base_model: this.o.baseModel, step };
    writeFileSync(join(tmp, "remote.json"), `${JSON.stringify(state, null, 2)}\n`);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
  }

  pruneStates(step: number): void {
    // the run folder's pointers only: the service keeps its checkpoints until their own ttl
    pruneStates(this.o.runDir, step);
  }

  async checkpoint(step: number): Promise<void> {
    const sampler = await this.model!.saveForSampler(`step-${step + 1}`);
    const state = join(statePath(this.o.runDir, step), "remote.json");
    const out = { sampler_path: sampler, state: JSON.parse(readFileSync(state, "utf8")) as RemoteState };
    writeFileSync(
      join(this.o.runDir, "checkpoints", `step-${step + 1}.tinker.json`),
      `${JSON.stringify(out, null, 2)}\n`,
    );
  }

  /** The current weights as a Hugging Face folder in `dir` (save_weights_external, then download). */
  async download(dir: string): Promise<string[]> {
    const path = await this.model!.saveExternal(`final-${this.model!.id.replace(/[^A-Za-z0-9._-]/g, "_")}`);
    this.o.log(`remote trainer: downloading ${path} into ${dir}`);
    return this.o.client.downloadExternal(path, dir);
  }

  async close(): Promise<void> {}
}
