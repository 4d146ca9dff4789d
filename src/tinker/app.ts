// `wz tinker`'s HTTP API: the routes the official Tinker SDK calls (read from its own source,
// tinker 0.38), over our engine. Sessions and heartbeats, capabilities, create_model (LoRA or full
// weights), forward_backward (protobuf in and out), optim_step, saved states with tinker:// paths,
// and futures fetched with retrieve_future. A route the SDK knows but this server does not serve
// answers 404 with its name, never a silent success.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { mergedModel, saveModelFolder } from "../model/checkpoint.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import { type BaseSpec, copyOfBase, type LoadedBase, loadBase } from "./bases.ts";
import { UserError } from "./errors.ts";
import { Futures, QueueFull } from "./futures.ts";
import { checkJwt, issueJwt } from "./jwt.ts";
import {
  decodeForwardBackwardRequest,
  encodeForwardBackwardOutput,
  encodeSampleResponse,
} from "./messages.ts";
import { type Sampler, Samplers } from "./samplers.ts";
import {
  type AdamParams,
  LORA_ALPHA,
  type LoraRequest,
  loraTargets,
  readState,
  TrainingModel,
} from "./training-model.ts";

export interface TinkerOptions {
  bases: BaseSpec[];
  /** Saved states, tokenizers of GGUF bases: tinker://MODEL/weights/NAME is STATE/runs/MODEL/weights/NAME. */
  stateDir: string;
  kernel: ComputeBackend;
  /** When set, every route but /api/v1/healthz needs this X-API-Key. */
  apiKey?: string;
  bodyLimitBytes?: number;
  maxPending?: number;
  /** Longest wait of one retrieve_future before it answers "try again", ms. */
  longPollMs?: number;
  /**
   * With an API key: turn on the SDK's key exchange (pjwt_auth_enabled), handing out tokens that
   * live this many seconds; 0 (default): the key itself opens every route.
   */
  jwtTtlSeconds?: number;
  /** How long a model's operations wait behind a seq_id that never arrives before they fail, ms. */
  gapTimeoutMs?: number;
  log?: (line: string) => void;
}

const SessionBody = z
  .object({ tags: z.array(z.string()).optional(), sdk_version: z.string().optional() })
  .passthrough();

const LoraBody = z
  .object({
    rank: z.number().int().positive(),
    seed: z.number().int().nullish(),
    train_mlp: z.boolean().default(true),
    train_attn: z.boolean().default(true),
    train_unembed: z.boolean().default(true),
  })
  .strict();

const CreateModelBody = z.object({
  session_id: z.string(),
  model_seq_id: z.number().int(),
  base_model: z.string(),
  lora_config: LoraBody.nullish(),
  optimizer_config: z.object({ type: z.string() }).passthrough().optional(),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
  type: z.literal("create_model").optional(),
});

const AdamBody = z
  .object({
    learning_rate: z.number().default(1e-4),
    beta1: z.number().default(0.9),
    beta2: z.number().default(0.95),
    eps: z.number().default(1e-12),
    weight_decay: z.number().default(0),
    grad_clip_norm: z.number().default(0),
  })
  .strict();

const OptimBody = z.object({
  model_id: z.string(),
  seq_id: z.number().int().nullish(),
  adam_params: AdamBody.optional(),
  optimizer_params: z.unknown().optional(),
  type: z.literal("optim_step").optional(),
});

const SaveBody = z.object({
  model_id: z.string(),
  path: z.string().nullish(),
  seq_id: z.number().int().nullish(),
  ttl_seconds: z.number().nullish(),
  overwrite: z.boolean().optional(),
  user_metadata: z.record(z.string(), z.string()).nullish(),
  sampling_session_seq_id: z.number().int().nullish(),
  kind: z.string().optional(),
  type: z.string().optional(),
});

const LoadBody = z.object({
  model_id: z.string().nullish(),
  seq_id: z.number().int().nullish(),
  session_id: z.string().nullish(),
  model_seq_id: z.number().int().nullish(),
  base_model: z.string().nullish(),
  path: z.string(),
  optimizer: z.boolean(),
  optimizer_config: z.object({ type: z.string() }).passthrough().nullish(),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
  weights_access_token: z.string().nullish(),
  type: z.literal("load_weights").optional(),
});

const CreateSamplingBody = z.object({
  session_id: z.string(),
  sampling_session_seq_id: z.number().int(),
  base_model: z.string().nullish(),
  model_path: z.string().nullish(),
  type: z.literal("create_sampling_session").optional(),
});

const SampleBody = z.object({
  num_samples: z.number().int().min(1).max(256).default(1),
  prompt: z.object({
    chunks: z.array(
      z.object({ type: z.string(), tokens: z.array(z.number().int()).optional() }).passthrough(),
    ),
  }),
  sampling_params: z
    .object({
      max_tokens: z.number().int().positive().nullish(),
      seed: z.number().int().nullish(),
      temperature: z.number().min(0).default(1),
      top_k: z.number().int().default(-1),
      top_p: z.number().gt(0).max(1).default(1),
      stop: z.union([z.string(), z.array(z.string()), z.array(z.number().int())]).nullish(),
    })
    .strict(),
  base_model: z.string().nullish(),
  model_path: z.string().nullish(),
  sampling_session_id: z.string().nullish(),
  seq_id: z.number().int().nullish(),
  prompt_logprobs: z.boolean().nullish(),
  topk_prompt_logprobs: z.number().int().optional(),
  topk_sample_logprobs: z.number().int().optional(),
  target_prompt_logprobs: z.unknown().optional(),
  prompt_alt_tokens_k: z.number().int().optional(),
  prompt_logprobs_last_n: z.number().int().nullish(),
  record_stability_info: z.boolean().nullish(),
  type: z.literal("sample").optional(),
});

/** The ClientConfigResponse flags this server needs: API keys, httpx, uncompressed protobuf. */
const CLIENT_CONFIG = {
  pjwt_auth_enabled: false,
  credential_default_source: "api_key",
  use_pyqwest_transport: false,
  proto_compress_fwdbwd: false,
  parallel_fwdbwd_chunks: true,
  sample_use_retrieve_futures: false,
  custom_loss_server_side: false,
  sample_join_sampling_session: false,
};

/** An external weights folder's own file: its expiry (ttl_seconds). */
const EXPORT_META = ".export.json";
/** How long a download URL stays valid (re-sign by asking again). */
const URL_TTL_MS = 3_600_000;

const SaveExternalBody = z.object({
  model_id: z.string(),
  path: z.string().regex(/^[A-Za-z0-9._-]+$/, "must be a plain name (letters, digits, . _ -)"),
  seq_id: z.number().int().nullish(),
  ttl_seconds: z.number().int().nullish(),
  age_encryption_recipients: z.array(z.string()).nullish(),
  type: z.literal("save_weights_external").optional(),
});

export function createTinkerService(options: TinkerOptions) {
  // Download URLs are signed with a key of this process: a restarted server re-signs on request.
  const urlKey = randomBytes(32);
  const sign = (where: string, expires: number) =>
    createHmac("sha256", urlKey).update(`${where}|${expires}`).digest("hex");
  const log = options.log ?? (() => {});
  const futures = new Futures(10_000, options.maxPending ?? 256, options.gapTimeoutMs);
  const bases = new Map<string, LoadedBase>();
  const specs = new Map(options.bases.map((b) => [b.name, b]));
  const sessions = new Map<string, { created: number; heartbeat: number }>();
  const models = new Map<string, TrainingModel>();
  const samplers = new Samplers();
  const counters = { sessions: 0, models: 0, telemetry: 0 };
  const longPollMs = options.longPollMs ?? 10_000;

  const baseOf = (name: string): LoadedBase => {
    const known = bases.get(name);
    if (known) return known;
    const spec = specs.get(name);
    if (!spec)
      throw new UserError(
        `base_model "${name}" is not served here (serving: ${[...specs.keys()].join(", ") || "none"})`,
      );
    log(`loading ${name} from ${spec.path}`);
    const loaded = loadBase(spec, options.stateDir, options.kernel);
    bases.set(name, loaded);
    return loaded;
  };

  const modelOf = (id: string): TrainingModel => {
    const m = models.get(id);
    if (!m)
      throw new UserError(`model_id "${id}" is not loaded on this server (create_model or load_state first)`);
    return m;
  };

  /**
   * tinker://MODEL/KIND/NAME, where KIND is weights (save_state), sampler_weights or
   * external_weights (a Hugging Face folder to download).
   */
  const folderOf = (path: string): string => {
    const m =
      /^tinker:\/\/([A-Za-z0-9._:-]+)\/(weights|sampler_weights|external_weights)\/([A-Za-z0-9._-]+)$/.exec(
        path,
      );
    if (!m || m[1].startsWith(".") || m[3].startsWith("."))
      throw new UserError(`path "${path}" is not a tinker://MODEL/weights/NAME path of this server`);
    return resolve(join(options.stateDir, "runs", m[1], m[2], m[3]));
  };

  /** A training model on a copy of the base, with LoRA adapters when asked (not registered). */
  const buildModel = (id: string, baseName: string, lora: LoraRequest | null): TrainingModel => {
    const model = copyOfBase(baseOf(baseName));
    if (lora) model.attachLora({ rank: lora.rank, alpha: LORA_ALPHA, targets: loraTargets(lora) }, lora.seed);
    return new TrainingModel(id, baseName, model, lora);
  };

  /** The SDK derives a model's id as SESSION:train:SEQ itself (load_weights), so the server does too. */
  const newModel = (id: string, baseName: string, lora: LoraRequest | null): TrainingModel => {
    if (models.has(id)) throw new UserError(`model ${id} exists already`);
    counters.models++;
    const tm = buildModel(id, baseName, lora);
    models.set(id, tm);
    // Training requests carry seq_id 1, 2, ... from here on.
    futures.openLane(id, 1);
    log(`created ${id} on ${baseName}${lora ? ` (LoRA rank ${lora.rank})` : " (full weights)"}`);
    return tm;
  };

  /** A sampler on a saved state (tinker:// path) or on a base; GGUF written beside the state. */
  const newSampler = (id: string, modelPath: string | null, baseName: string | null): Sampler => {
    if (modelPath) {
      const dir = folderOf(modelPath);
      const state = readState(dir);
      const tm = buildModel(id, state.base_model, state.lora);
      tm.loadState(dir, false);
      const base = baseOf(state.base_model);
      return samplers.add({
        id,
        baseName: state.base_model,
        modelPath,
        ggufPath: join(dir, "model.gguf"),
        engine: mergedModel(tm.model),
        tokenizer: base.tokenizer,
      });
    }
    if (!baseName) throw new UserError("a sampler needs model_path or base_model");
    const base = baseOf(baseName);
    mkdirSync(join(options.stateDir, "bases"), { recursive: true });
    return samplers.add({
      id,
      baseName,
      modelPath: null,
      ggufPath: resolve(join(options.stateDir, "bases", `${baseName.replace(/[^A-Za-z0-9._-]/g, "_")}.gguf`)),
      engine: base.model,
      tokenizer: base.tokenizer,
    });
  };

  const app = new Hono();
  const jwtTtl = options.jwtTtlSeconds ?? 0;
  if (jwtTtl > 0 && !options.apiKey) throw new UserError("JWT exchange needs an API key (--api-key-env)");
  const nowS = () => Math.floor(Date.now() / 1000);
  if (options.apiKey) {
    app.use("*", async (c, next) => {
      // a download URL carries its own signature instead of the key, as signed URLs do
      if (c.req.path === "/api/v1/healthz" || c.req.path.startsWith("/api/v1/external_files/")) return next();
      const sent = c.req.header("x-api-key") ?? "";
      // With the exchange on, the long-lived key opens the client config and the exchange only;
      // every other route takes the short-lived token, as a service with pjwt_auth_enabled does.
      const keyRoute = c.req.path === "/api/v1/client/config" || c.req.path === "/api/v1/auth/token";
      if (jwtTtl === 0 || keyRoute) {
        if (sent !== options.apiKey) return c.json({ error: "missing or wrong X-API-Key" }, 401);
        return next();
      }
      const verdict = checkJwt(urlKey, sent, nowS());
      if (verdict !== "ok") {
        c.header(
          "WWW-Authenticate",
          `Bearer error="invalid_token", error_description="the token is ${verdict}"`,
        );
        return c.json(
          { error: `X-API-Key: the token is ${verdict} (exchange the key at /api/v1/auth/token)` },
          401,
        );
      }
      return next();
    });
  }
  const limit = options.bodyLimitBytes ?? 64 << 20;
  app.use(
    "*",
    bodyLimit({
      maxSize: limit,
      onError: (c) => c.json({ error: `request body exceeds ${limit} bytes` }, 413),
    }),
  );
  app.onError((err, c) => {
    if (err instanceof QueueFull) return c.json({ error: err.message }, 429);
    if (err instanceof UserError) return c.json({ error: err.message }, 400);
    if (err instanceof z.ZodError) {
      const issue = err.issues[0];
      return c.json({ error: `${issue.path.join(".") || "body"}: ${issue.message}` }, 400);
    }
    log(`internal error: ${(err as Error).stack ?? err}`);
    return c.json({ error: `internal error: ${(err as Error).message}` }, 500);
  });

  const json = async <T>(c: { req: { json: () => Promise<unknown> } }, schema: z.ZodType<T>): Promise<T> => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new UserError("the body is not JSON");
    }
    return schema.parse(body);
  };

  const future = (id: string, modelId?: string) => ({
    request_id: id,
    ...(modelId ? { model_id: modelId } : {}),
  });

  const v1 = new Hono();
  v1.get("/healthz", (c) => c.json({ status: "ok" }));
  v1.post("/client/config", (c) => c.json({ ...CLIENT_CONFIG, pjwt_auth_enabled: jwtTtl > 0 }));
  v1.post("/auth/token", (c) => {
    if (jwtTtl === 0) return c.json({ error: "this server takes the API key itself (no JWT exchange)" }, 404);
    return c.json({ jwt: issueJwt(urlKey, nowS(), jwtTtl) });
  });
  v1.post("/client/dynamic_config", (c) =>
    c.json({ refresh_interval_sec: 300, sample_cancel_enabled: false }),
  );
  v1.post("/telemetry", (c) => {
    counters.telemetry++;
    return c.json({ status: "accepted" });
  });
  v1.get("/get_server_capabilities", (c) =>
    c.json({
      supported_models: [...specs.keys()].map((name) => ({
        model_name: name,
        max_context_length: bases.get(name)?.model.cfg.maxPositionEmbeddings ?? null,
        trainable: true,
        sampleable: true,
      })),
    }),
  );

  v1.post("/create_session", async (c) => {
    await json(c, SessionBody);
    const id = `session-${++counters.sessions}-${Date.now().toString(36)}`;
    sessions.set(id, { created: Date.now(), heartbeat: Date.now() });
    return c.json({ type: "create_session", session_id: id });
  });
  v1.post("/session_heartbeat", async (c) => {
    const body = await json(c, z.object({ session_id: z.string() }).passthrough());
    const s = sessions.get(body.session_id);
    if (!s) return c.json({ error: `session ${body.session_id} is unknown here` }, 404);
    s.heartbeat = Date.now();
    return c.json({ type: "session_heartbeat" });
  });

  // The client closes its session: its training models leave memory (their saved states stay).
  v1.post("/sessions/:id/finish", (c) => {
    const id = c.req.param("id");
    if (!sessions.delete(id)) return c.json({ error: `session ${id} is unknown here` }, 404);
    for (const m of [...models.keys()]) if (m.startsWith(`${id}:`)) models.delete(m);
    samplers.drop(`${id}:`);
    log(`session ${id} finished`);
    return c.body(null, 200);
  });

  v1.post("/create_model", async (c) => {
    const body = await json(c, CreateModelBody);
    if (body.optimizer_config && body.optimizer_config.type !== "adamw")
      throw new UserError(
        `optimizer_config.type "${body.optimizer_config.type}" is not supported (adamw only)`,
      );
    baseOf(body.base_model); // refused at once when the model is not served
    const lora = body.lora_config
      ? {
          rank: body.lora_config.rank,
          seed: body.lora_config.seed ?? 0,
          trainMlp: body.lora_config.train_mlp,
          trainAttn: body.lora_config.train_attn,
          trainUnembed: body.lora_config.train_unembed,
        }
      : null;
    const id = futures.submit(
      () => ({
        model_id: newModel(`${body.session_id}:train:${body.model_seq_id}`, body.base_model, lora).id,
        type: "create_model",
      }),
      {
        key: `create_model ${body.session_id} ${body.model_seq_id}`,
      },
    );
    return c.json(future(id));
  });

  v1.post("/get_info", async (c) => {
    const body = await json(c, z.object({ model_id: z.string() }).passthrough());
    const m = modelOf(body.model_id);
    const base = baseOf(m.baseName);
    return c.json({
      type: "get_info",
      model_id: m.id,
      model_data: {
        arch: base.model.cfg.arch ?? "qwen3",
        model_name: m.baseName,
        tokenizer_id: base.tokenizerDir,
      },
      is_lora: m.lora !== null,
      lora_rank: m.lora?.rank ?? null,
      model_name: m.baseName,
    });
  });

  v1.post("/forward_backward", async (c) => {
    if (c.req.header("content-encoding"))
      throw new UserError(
        `Content-Encoding ${c.req.header("content-encoding")} is not supported: this server's client config asks for none`,
      );
    if (!(c.req.header("content-type") ?? "").includes("application/x-protobuf"))
      throw new UserError("forward_backward takes application/x-protobuf (tinker SDK 0.25 and later)");
    const req = decodeForwardBackwardRequest(new Uint8Array(await c.req.arrayBuffer()));
    const m = modelOf(req.modelId);
    const id = futures.submit(() => encodeForwardBackwardOutput(m.forwardBackward(req)), {
      lane: { name: m.id, seq: req.seqId },
    });
    return c.json(future(id, m.id));
  });

  v1.post("/optim_step", async (c) => {
    const body = await json(c, OptimBody);
    if (body.optimizer_params !== undefined)
      throw new UserError("optimizer_params (a non-Adam optimizer) is not supported: send adam_params");
    const m = modelOf(body.model_id);
    const adam = (body.adam_params ?? AdamBody.parse({})) as AdamParams;
    const run = () => ({ metrics: m.optimStep(adam) });
    const id = futures.submit(run, body.seq_id ? { lane: { name: m.id, seq: body.seq_id } } : {});
    return c.json(future(id, m.id));
  });

  const save = (kind: "weights" | "sampler_weights") => async (c: Context) => {
    const body = await json(c, SaveBody);
    const m = modelOf(body.model_id);
    if (body.kind === "inflight")
      throw new UserError('kind="inflight" sampling clients are not supported: save a snapshot');
    const ephemeral = kind === "sampler_weights" && !body.path;
    if (ephemeral && body.sampling_session_seq_id == null)
      throw new UserError("save_weights_for_sampler without a path needs sampling_session_seq_id");
    const name =
      body.path ?? (ephemeral ? `ephemeral-${body.sampling_session_seq_id}-${m.steps}` : `step-${m.steps}`);
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new UserError(`path "${name}" must be a plain name (letters, digits, . _ -)`);
    const path = `tinker://${m.id}/${kind}/${name}`;
    const run = () => {
      const dir = folderOf(path);
      if (existsSync(dir) && kind === "weights" && !body.overwrite)
        throw new UserError(`${path} exists already (save with overwrite=True to replace it)`);
      mkdirSync(dir, { recursive: true });
      m.saveState(dir, kind === "weights", body.ttl_seconds ? Date.now() + body.ttl_seconds * 1000 : null);
      if (kind === "weights") return { path, type: "save_weights" };
      if (!ephemeral) return { path, type: "save_weights_for_sampler" };
      // save_weights_and_get_sampling_client: a sampling session on these weights.
      const sid = `${m.id}:sample:${body.sampling_session_seq_id}:${m.steps}`;
      if (!samplers.has(sid)) newSampler(sid, path, null);
      return { path: null, sampling_session_id: sid, type: "save_weights_for_sampler" };
    };
    const id = futures.submit(run, body.seq_id ? { lane: { name: m.id, seq: body.seq_id } } : {});
    return c.json(future(id, m.id));
  };
  v1.post("/save_weights", save("weights"));
  v1.post("/save_weights_for_sampler", save("sampler_weights"));

  v1.post("/load_weights", async (c) => {
    const body = await json(c, LoadBody);
    const dir = folderOf(body.path);
    if (!existsSync(join(dir, "state.json"))) throw new UserError(`${body.path} holds no saved state here`);
    if (body.model_id) {
      const m = modelOf(body.model_id);
      const run = () => {
        m.loadState(dir, body.optimizer);
        return { path: body.path, model_id: m.id, type: "load_weights" };
      };
      const id = futures.submit(run, body.seq_id ? { lane: { name: m.id, seq: body.seq_id } } : {});
      return c.json(future(id, m.id));
    }
    // A new training model from the checkpoint (create_training_client_from_state).
    if (!body.session_id || body.model_seq_id == null)
      throw new UserError("load_weights without model_id needs session_id and model_seq_id");
    const state = readState(dir);
    if (body.base_model && body.base_model !== state.base_model)
      throw new UserError(`${body.path} is a state of ${state.base_model}, not of ${body.base_model}`);
    const run = () => {
      const m = newModel(`${body.session_id}:train:${body.model_seq_id}`, state.base_model, state.lora);
      m.loadState(dir, body.optimizer);
      return { path: body.path, model_id: m.id, type: "load_weights" };
    };
    const id = futures.submit(run, { key: `load_weights ${body.session_id} ${body.model_seq_id}` });
    return c.json(future(id));
  });

  // What a checkpoint is (older SDKs read it before create_training_client_from_state).
  v1.post("/weights_info", async (c) => {
    const body = await json(c, z.object({ tinker_path: z.string() }).passthrough());
    const state = readState(folderOf(body.tinker_path));
    return c.json({
      base_model: state.base_model,
      is_lora: state.lora !== null,
      lora_rank: state.lora?.rank ?? null,
      train_unembed: state.lora?.trainUnembed ?? null,
      train_mlp: state.lora?.trainMlp ?? null,
      train_attn: state.lora?.trainAttn ?? null,
    });
  });

  v1.post("/create_sampling_session", async (c) => {
    const body = await json(c, CreateSamplingBody);
    const id = `${body.session_id}:sample:${body.sampling_session_seq_id}`;
    if (!samplers.has(id)) newSampler(id, body.model_path ?? null, body.base_model ?? null);
    return c.json({ type: "create_sampling_session", sampling_session_id: id });
  });

  v1.get("/samplers/:id", (c) => {
    const s = samplers.get(c.req.param("id"));
    return c.json({ sampler_id: s.id, base_model: s.baseName, model_path: s.modelPath });
  });

  v1.post("/asample", async (c) => {
    const body = await json(c, SampleBody);
    for (const [field, on] of [
      ["topk_prompt_logprobs", (body.topk_prompt_logprobs ?? 0) > 0],
      ["topk_sample_logprobs", (body.topk_sample_logprobs ?? 0) > 0],
      ["target_prompt_logprobs", body.target_prompt_logprobs != null],
      ["prompt_alt_tokens_k", (body.prompt_alt_tokens_k ?? 0) > 0],
      ["prompt_logprobs_last_n", body.prompt_logprobs_last_n != null],
      ["record_stability_info", body.record_stability_info === true],
    ] as const)
      if (on) throw new UserError(`${field} is not supported by wz tinker`);
    let sampler: Sampler;
    if (body.sampling_session_id) sampler = samplers.get(body.sampling_session_id);
    else if (body.model_path || body.base_model) {
      const id = `adhoc:${body.model_path ?? body.base_model}`;
      sampler = samplers.has(id)
        ? samplers.get(id)
        : newSampler(id, body.model_path ?? null, body.base_model ?? null);
    } else throw new UserError("asample needs sampling_session_id, model_path or base_model");
    const prompt = body.prompt.chunks.flatMap((chunk, i) => {
      if (chunk.type !== "encoded_text")
        throw new UserError(`prompt.chunks[${i}] is ${chunk.type}: text only`);
      return chunk.tokens ?? [];
    });
    const run = async () => {
      const out = await samplers.sample(
        sampler,
        prompt,
        body.num_samples,
        body.sampling_params,
        body.prompt_logprobs === true,
      );
      return encodeSampleResponse(out.sequences, out.promptLogprobs);
    };
    const key =
      body.sampling_session_id && body.seq_id != null
        ? `asample ${body.sampling_session_id} ${body.seq_id}`
        : undefined;
    const id = futures.submit(run, { key });
    // Each sequence's identity, which the SDK stamps on the response's sequences.
    const sequenceIds = Array.from({ length: body.num_samples }, (_, i) => `${id}:${i}`);
    return c.json({ ...future(id), sample_sequence_ids: sequenceIds });
  });

  v1.post("/retrieve_future", async (c) => {
    const body = await json(c, z.object({ request_id: z.string() }).passthrough());
    const outcome = await futures.retrieve(body.request_id, longPollMs);
    if (!outcome)
      return c.json({ error: `request ${body.request_id} is unknown here (or its result was dropped)` }, 410);
    if (outcome.state === "pending")
      return c.json({ type: "try_again", request_id: body.request_id, queue_state: "active" });
    if (outcome.state === "failed") return c.json({ error: outcome.error, category: outcome.category });
    if (outcome.value instanceof Uint8Array)
      return c.body(outcome.value as Uint8Array<ArrayBuffer>, 200, {
        "content-type": "application/x-protobuf",
      });
    return c.json(outcome.value as Record<string, unknown>);
  });

  // External weights: a Hugging Face folder of the merged model, downloaded through signed URLs
  // (the SDK's save_weights_external, get_external_weights_urls and `tinker checkpoint download`).
  v1.post("/save_weights_external", async (c) => {
    const body = await json(c, SaveExternalBody);
    if (body.age_encryption_recipients?.length)
      throw new UserError("age_encryption_recipients (encrypted exports) is not supported by wz tinker");
    const m = modelOf(body.model_id);
    const path = `tinker://${m.id}/external_weights/${body.path}`;
    const dir = folderOf(path);
    const run = () => {
      saveModelFolder(dir, mergedModel(m.model), baseOf(m.baseName).tokenizer);
      const expires = body.ttl_seconds ? Date.now() + body.ttl_seconds * 1000 : null;
      writeFileSync(join(dir, EXPORT_META), `${JSON.stringify({ expires_at: expires })}\n`);
      return { path, type: "save_weights_external" };
    };
    const id = futures.submit(run, body.seq_id ? { lane: { name: m.id, seq: body.seq_id } } : {});
    return c.json(future(id, m.id));
  });

  const checkpointPath = (c: Context) =>
    `tinker://${c.req.param("model")}/${c.req.param("kind")}/${c.req.param("name")}`;

  v1.get("/training_runs/:model/checkpoints/:kind/:name/external_weights_urls", (c) => {
    const path = checkpointPath(c);
    if (c.req.param("kind") !== "external_weights")
      throw new UserError(`${path} is not an external_weights checkpoint`);
    const dir = folderOf(path);
    if (!existsSync(join(dir, EXPORT_META))) return c.json({ error: `${path} does not exist here` }, 404);
    const meta = JSON.parse(readFileSync(join(dir, EXPORT_META), "utf8")) as { expires_at: number | null };
    if (meta.expires_at != null && Date.now() > meta.expires_at)
      return c.json(
        { error: `${path} expired at ${new Date(meta.expires_at).toISOString()} (its ttl_seconds)` },
        410,
      );
    const expires = Date.now() + URL_TTL_MS;
    const origin = new URL(c.req.url).origin;
    const urls: Record<string, string> = {};
    for (const file of readdirSync(dir)) {
      if (file === EXPORT_META) continue;
      const where = `${c.req.param("model")}/${c.req.param("name")}/${file}`;
      urls[file] = `${origin}/api/v1/external_files/${where}?expires=${expires}&sig=${sign(where, expires)}`;
    }
    return c.json({ urls, expires: new Date(expires).toISOString() });
  });

  v1.get("/external_files/:model/:name/:file", (c) => {
    const where = `${c.req.param("model")}/${c.req.param("name")}/${c.req.param("file")}`;
    const expires = Number(c.req.query("expires"));
    if (!(expires > Date.now()) || c.req.query("sig") !== sign(where, expires))
      return c.json({ error: "the download URL is expired or its signature is wrong" }, 403);
    const dir = folderOf(`tinker://${c.req.param("model")}/external_weights/${c.req.param("name")}`);
    const file = join(dir, c.req.param("file"));
    if (!existsSync(file) || c.req.param("file").startsWith("."))
      return c.json({ error: "no such file" }, 404);
    return c.body(readFileSync(file), 200, { "content-type": "application/octet-stream" });
  });

  v1.put("/training_runs/:model/checkpoints/:kind/:name/ttl", async (c) => {
    const body = await json(c, z.object({ ttl_seconds: z.number().int().positive().nullable() }));
    const dir = folderOf(checkpointPath(c));
    const meta = join(dir, c.req.param("kind") === "external_weights" ? EXPORT_META : "state.json");
    if (!existsSync(meta)) return c.json({ error: `${checkpointPath(c)} does not exist here` }, 404);
    const m = JSON.parse(readFileSync(meta, "utf8")) as { expires_at: number | null };
    m.expires_at = body.ttl_seconds ? Date.now() + body.ttl_seconds * 1000 : null;
    writeFileSync(meta, `${JSON.stringify(m, null, 2)}\n`);
    return c.json({});
  });

  v1.delete("/training_runs/:model/checkpoints/:kind/:name", (c) => {
    const dir = folderOf(checkpointPath(c));
    if (!existsSync(dir)) return c.json({ error: `${checkpointPath(c)} does not exist here` }, 404);
    rmSync(dir, { recursive: true, force: true });
    return c.json({});
  });

  app.route("/api/v1", v1);
  app.all("/api/v1/*", (c) =>
    c.json(
      { error: `${c.req.method} ${c.req.path} is not supported by wz tinker (see docs/tinker.md)` },
      404,
    ),
  );

  return { app, futures, models, sessions, counters, close: () => samplers.close() };
}
