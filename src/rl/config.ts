// The training configuration: one YAML file, validated with zod. Unknown keys and wrong types are
// errors that name the key; every option has a default; the resolved config is saved in the run.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { JUDGE_KIND_NAMES } from "../judge/kinds.ts";
import { TEMPLATE_NAMES } from "../judge/template.ts";
import { DEFAULT_PACK_MIB } from "../model/packing.ts";
import { ESTIMATORS } from "./estimators/index.ts";

const tinyModel = z
  .object({
    corpus_size: z.number().int().positive().default(3000),
    vocab_size: z.number().int().min(300).default(700),
    hidden_size: z.number().int().positive().default(64),
    layers: z.number().int().positive().default(2),
    heads: z.number().int().positive().default(4),
    kv_heads: z.number().int().positive().default(2),
    head_dim: z.number().int().positive().default(16),
    intermediate_size: z.number().int().positive().default(192),
    pretrain_steps: z.number().int().nonnegative().default(250),
    batch_size: z.number().int().positive().default(16),
    lr: z.number().positive().default(4e-3),
    seed: z.number().int().default(1),
  })
  .strict();

export const JudgeConfigSchema = z
  .object({
    /** rules, genrm (pairwise), or rm: a scalar reward model (reward_model folder, or base_url + model on vLLM's pooling API). */
    kind: z.enum(JUDGE_KIND_NAMES).default("rules"),
    /** kind rm: a reward model folder written by wz train-rm (or any one-label *ForSequenceClassification). */
    reward_model: z.string().optional(),
    base_url: z.union([z.string(), z.array(z.string())]).optional(),
    gguf: z.string().optional(),
    model: z.string().optional(),
    api_key_env: z.string().default("WZ_API_KEY"),
    votes: z.number().int().positive().default(1),
    concurrency: z.number().int().positive().default(16),
    timeout_s: z.number().positive().default(120),
    max_retries: z.number().int().nonnegative().default(4),
    /** Keep retrying 429/5xx/timeouts for at least this many seconds (rides out short outages; 0: off). */
    retry_window_s: z.number().nonnegative().default(60),
    /** Default: 0 with one vote, 0.6 with votes > 1 (independent votes). */
    temperature: z.number().nonnegative().optional(),
    max_tokens: z.number().int().positive().default(2048),
    principles: z.string().optional(),
    cache: z.string().default(".wz-cache/judge.sqlite"),
    /** GenRM prompt: full or compact; default: a GGUF's recorded template, else full. */
    template: z.enum(TEMPLATE_NAMES).optional(),
    /**
     * Rule-based judge only: add the plausibility principle, no token the frozen model (a model
     * folder; in wz train by default the run's initial policy) finds below `threshold` nats.
     */
    plausibility: z
      .object({
        model: z.string().optional(),
        weight: z.number().positive().default(3),
        threshold: z.number().negative().default(-6),
        penalty: z.number().positive().max(1).default(0.5),
      })
      .strict()
      .optional(),
  })
  .strict();

export const TrainConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    output: z.string().default("runs/run"),
    model: z
      .object({
        /** "tiny": build (or reuse) the project's tiny base model; otherwise a Hugging Face folder or a GGUF file (imported, see wz import). */
        init: z.string().default("tiny"),
        cache: z.string().default(".wz-cache/tiny-base"),
        tiny: tinyModel.default(tinyModel.parse({})),
        /** Train LoRA adapters on a frozen base instead of every weight. */
        lora: z
          .object({
            rank: z.number().int().positive().default(8),
            alpha: z.number().positive().default(16),
            targets: z
              .array(z.enum(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
              .min(1)
              .default(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ init: "tiny", cache: ".wz-cache/tiny-base", tiny: tinyModel.parse({}) }),
    data: z
      .object({
        /** "tiny": generated constrained-writing prompts; otherwise a JSONL file of {id, prompt}. */
        prompts: z.string().default("tiny"),
        /** Held-out prompts for the final evaluation; without it, the last eval_count prompts of the file are held out. */
        eval_prompts: z.string().optional(),
        train_count: z.number().int().positive().default(96),
        eval_count: z.number().int().positive().default(48),
      })
      .strict()
      .default({ prompts: "tiny", train_count: 96, eval_count: 48 }),
    judge: JudgeConfigSchema.default(JudgeConfigSchema.parse({})),
    estimator: z
      .object({
        name: z.enum(ESTIMATORS).default("brpo"),
        skew_threshold: z.number().positive().default(0.6),
        tie: z.union([z.literal(-1), z.literal(0)]).default(-1),
        inconsistent: z.union([z.literal(-1), z.literal(0)]).default(-1),
        references: z.number().int().positive().default(1),
        subgroup_size: z.number().int().min(2).optional(),
      })
      .strict()
      .default({ name: "brpo", skew_threshold: 0.6, tie: -1, inconsistent: -1, references: 1 }),
    rollout: z
      .object({
        group_size: z.number().int().min(2).default(16),
        prompts_per_step: z.number().int().positive().default(8),
        temperature: z.number().positive().default(1),
        top_p: z.number().positive().max(1).default(1),
        max_tokens: z.number().int().positive().default(48),
        /** Refill groups the task dropped (all rewards equal) from further prompts (DAPO's dynamic sampling). */
        dynamic_sampling: z.boolean().default(false),
        max_refills: z.number().int().nonnegative().default(2),
        /**
         * The weights llama.cpp samples from: f32 (exactly the policy) or f16/q8_0/q4_0/q4_1
         * (faster on a large model, whose f32 matrix-vector products are bound by memory; the
         * trainer still recomputes every log-probability in f32, so the ratio corrects the small
         * mismatch). A LoRA run exports its frozen base once: for a base imported from a Q4_1
         * file, q4_1 gives back the file's own values bit for bit (tested), so nothing is lost.
         */
        sampler_weights: z.enum(["f32", "f16", "q8_0", "q4_0", "q4_1"]).default("f32"),
        /** llama.cpp threads for sampling (1: samples reproducible whatever the core count). */
        sampler_threads: z.number().int().positive().default(1),
        /**
         * Samples of a prompt generated side by side in one llama.cpp batch (the weights read once
         * a step for all of them): much faster sampling for a large model. 1: one after another.
         * The samples of a seed depend on it (batched arithmetic rounds differently), and with
         * more than 1 they also vary from run to run (which samples share a decode depends on
         * timing), so a run is not reproducible.
         */
        sampler_parallel: z.number().int().positive().default(1),
        /**
         * Prompts sampled at once, each in a llama.cpp context of its own on sampler_threads
         * threads (0: one per core). The samples do not depend on it.
         */
        sampler_concurrency: z.number().int().nonnegative().default(0),
      })
      .strict()
      .default({
        group_size: 16,
        prompts_per_step: 8,
        temperature: 1,
        top_p: 1,
        max_tokens: 48,
        dynamic_sampling: false,
        max_refills: 2,
        sampler_weights: "f32",
        sampler_threads: 1,
        sampler_parallel: 1,
        sampler_concurrency: 0,
      }),
    train: z
      .object({
        steps: z.number().int().positive().default(30),
        lr: z.number().positive().default(1e-3),
        schedule: z.enum(["constant", "cosine"]).default("constant"),
        warmup_steps: z.number().int().nonnegative().default(0),
        weight_decay: z.number().nonnegative().default(0),
        // the ratio is clipped to [1 - clip_low, 1 + clip_high]: clip_low must leave it positive
        clip_low: z
          .number()
          .nonnegative()
          .lt(1, "must be below 1 (the ratio's lower bound is 1 - clip_low)")
          .default(0.2),
        clip_high: z.number().nonnegative().max(10).default(0.28),
        kl_coef: z.number().nonnegative().default(0),
        epochs: z.number().int().positive().default(1),
        minibatches: z.number().int().positive().default(1),
        grad_clip: z.number().nonnegative().default(1),
        /**
         * Activation memory of one packed forward and backward pass, MiB: short sequences share a
         * pass (large matmuls, both cores). 0: one sequence a pass, the arithmetic of releases
         * before packing (the sums of gradients run in another order, so results differ in rounding).
         */
        pack_mib: z.number().nonnegative().default(DEFAULT_PACK_MIB),
        checkpoint_every: z.number().int().positive().default(10),
        /** Stop (resumably) after this many consecutive steps whose judge failure rate exceeds the threshold (0: never). */
        max_failing_steps: z.number().int().nonnegative().default(3),
        judge_failure_threshold: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({
        steps: 30,
        lr: 1e-3,
        schedule: "constant",
        warmup_steps: 0,
        weight_decay: 0,
        clip_low: 0.2,
        clip_high: 0.28,
        kl_coef: 0,
        epochs: 1,
        minibatches: 1,
        grad_clip: 1,
        pack_mib: DEFAULT_PACK_MIB,
        checkpoint_every: 10,
        max_failing_steps: 3,
        judge_failure_threshold: 0.5,
      }),
    eval: z
      .object({
        /**
         * The judge of every figure that claims the policy got better. "auto": the tiny world's
         * gold for tiny prompts, else the training judge (with a warning: not evidence);
         * "gold": the tiny world's gold; "training": the training judge; or a judge block.
         */
        judge: z.union([z.enum(["auto", "gold", "training"]), JudgeConfigSchema]).default("auto"),
        samples_per_prompt: z.number().int().positive().default(4),
        temperature: z.number().positive().default(1),
        /** Grade the step's rollouts with the evaluation judge every k steps (0: never). */
        monitor_every: z.number().int().nonnegative().default(5),
        /** Warn when, over this many monitored steps, the training figure rises and the evaluation's falls. */
        warn_window: z.number().int().min(2).default(6),
      })
      .strict()
      .default({ judge: "auto", samples_per_prompt: 4, temperature: 1, monitor_every: 5, warn_window: 6 }),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type JudgeConfig = z.infer<typeof JudgeConfigSchema>;
export type EstimatorConfig = TrainConfig["estimator"];

/** A judge block on its own (for `wz serve --judge-config`): the `judge:` of a file, or the file itself. */
export function parseJudgeConfig(source: string, origin = "judge config"): JudgeConfig {
  const doc = readYaml(source, origin);
  const block = doc && typeof doc === "object" && "judge" in doc ? (doc as { judge: unknown }).judge : doc;
  const result = JudgeConfigSchema.safeParse(block);
  if (!result.success) throw new Error(formatIssues(result.error, `${origin}: judge`));
  checkJudge(result.data, origin);
  return result.data;
}

function readYaml(source: string, origin: string): unknown {
  try {
    return parseYaml(source) ?? {};
  } catch (e) {
    throw new Error(`${origin}: not valid YAML: ${(e as Error).message}`);
  }
}

function checkJudge(j: JudgeConfig, origin: string): void {
  if (j.kind === "genrm" && !j.gguf && (!j.base_url || !j.model)) {
    throw new Error(`${origin}: judge: kind genrm needs judge.base_url and judge.model, or judge.gguf`);
  }
  if (j.kind === "rm" && !j.reward_model && (!j.base_url || !j.model)) {
    throw new Error(
      `${origin}: judge: kind rm needs judge.reward_model (a folder), or judge.base_url and judge.model (vLLM pooling)`,
    );
  }
}

/** Turns zod issues into one message per problem, each naming the key path. */
export function formatIssues(error: z.ZodError, origin: string): string {
  return error.issues
    .map((i) => {
      const path = i.path.join(".") || "(root)";
      if (i.code === "unrecognized_keys")
        return `${origin}: ${path === "(root)" ? "" : `${path}: `}unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
      return `${origin}: ${path}: ${i.message}`;
    })
    .join("\n");
}

/** YAML text checked against a schema; errors name the file (origin) and the field at fault. */
export function parseYamlConfig<S extends z.ZodType>(schema: S, source: string, origin: string): z.infer<S> {
  const result = schema.safeParse(readYaml(source, origin));
  if (!result.success) throw new Error(formatIssues(result.error, origin));
  return result.data;
}

export function parseTrainConfig(source: string, origin = "config"): TrainConfig {
  const cfg = parseYamlConfig(TrainConfigSchema, source, origin);
  checkJudge(cfg.judge, origin);
  if (typeof cfg.eval.judge === "object") checkJudge(cfg.eval.judge, `${origin}: eval`);
  if (cfg.model.tiny.heads % cfg.model.tiny.kv_heads !== 0) {
    throw new Error(`${origin}: model.tiny.heads must be a multiple of model.tiny.kv_heads`);
  }
  return cfg;
}
