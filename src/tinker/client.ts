// A TypeScript client of a Tinker-compatible service (the hosted one, SkyRL's, or `wz tinker`),
// speaking the official SDK's wire protocol: JSON routes, a protobuf forward_backward, futures
// fetched with retrieve_future. Every training operation carries the next seq_id, so a request
// retried after a lost reply is the same request (the service runs it once). Waits are bounded.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { UserError } from "./errors.ts";
import { jwtSecondsLeft } from "./jwt.ts";
import {
  type Datum,
  decodeForwardBackwardOutput,
  decodeSampleResponse,
  encodeForwardBackwardRequest,
  type ForwardBackwardOutput,
  type SampledSequence,
} from "./messages.ts";
import type { SamplingParams } from "./samplers.ts";
import type { AdamParams } from "./training-model.ts";

export class TinkerError extends Error {}

export interface TinkerClientOptions {
  baseUrl: string;
  apiKey?: string;
  /** Longest wait for one operation's result, ms. */
  maxWaitMs?: number;
  /** Attempts of one request after a network error, 408, 429 or 5xx. */
  attempts?: number;
}

type Json = Record<string, unknown>;

export class TinkerClient {
  private readonly base: string;
  private readonly maxWaitMs: number;
  private readonly attempts: number;

  /** The service's address as given (for logs). */
  get baseUrl(): string {
    return this.o.baseUrl;
  }

  constructor(private readonly o: TinkerClientOptions) {
    this.base = `${o.baseUrl.replace(/\/+$/, "")}/api/v1`;
    this.maxWaitMs = o.maxWaitMs ?? 600_000;
    this.attempts = o.attempts ?? 5;
  }

  /** POSTs `body`, retrying transient failures with the same body; a refusal throws its message. */
  post(path: string, body: Json | Uint8Array): Promise<Response> {
    return this.request("POST", path, body);
  }

  /**
   * What X-API-Key carries: the key itself, or, where the service's client config turns on the
   * key exchange (pjwt_auth_enabled, as the SDK reads it), a short-lived token bought with the key
   * at /auth/token and bought again shortly before it expires.
   */
  private async credential(path: string): Promise<string | undefined> {
    const key = this.o.apiKey;
    if (!key || path === "/client/config" || path === "/auth/token") return key;
    this.exchange ??= this.post("/client/config", { sdk_version: "wz-ts" })
      .then(async (res) => ((await res.json()) as { pjwt_auth_enabled?: boolean }).pjwt_auth_enabled === true)
      // a service without the route has no exchange; any other refusal (a wrong key) is the caller's
      .catch((e: Error) => {
        if (/HTTP 404/.test(e.message)) return false;
        this.exchange = null;
        throw e;
      });
    if (!(await this.exchange)) return key;
    if (!this.token || jwtSecondsLeft(this.token, Date.now() / 1000) < 30) {
      const res = await this.post("/auth/token", {});
      this.token = ((await res.json()) as { jwt: string }).jwt;
    }
    return this.token;
  }

  /** Whether the service uses the key exchange (null: not asked yet). */
  private exchange: Promise<boolean> | null = null;
  private token: string | null = null;

  /** A request to the API (or, with a full URL, to a download URL), retried like post(). */
  async request(method: "GET" | "POST", path: string, body?: Json | Uint8Array): Promise<Response> {
    const proto = body instanceof Uint8Array;
    const url = /^https?:\/\//.test(path) ? path : `${this.base}${path}`;
    let last = "";
    let renewed = false;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(200 * 2 ** attempt, 5000));
      // a signed download URL is its own credential: the key goes to the API only (the exchange's
      // own requests retry and refuse by themselves)
      const credential = url.startsWith(this.base) ? await this.credential(path) : undefined;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            ...(body === undefined
              ? {}
              : { "content-type": proto ? "application/x-protobuf" : "application/json" }),
            ...(credential ? { "x-api-key": credential } : {}),
          },
          body:
            body === undefined ? undefined : proto ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
        });
      } catch (e) {
        // fetch's own message is "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, ...)
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        last = `cannot reach ${this.o.baseUrl}: ${cause?.code ?? cause?.message ?? (e as Error).message}`;
        continue;
      }
      // a token the service no longer takes (RFC 6750 invalid_token): buy another, once, and resend
      if (
        res.status === 401 &&
        !renewed &&
        this.token &&
        (res.headers.get("www-authenticate") ?? "").includes('error="invalid_token"')
      ) {
        await res.text();
        this.token = null;
        renewed = true;
        attempt--;
        continue;
      }
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        last = `${path}: HTTP ${res.status} ${await res.text()}`;
        continue;
      }
      if (!res.ok) {
        const text = await res.text();
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: string }).error ?? text;
        } catch {
          // not JSON: the text as it came
        }
        throw new TinkerError(`${path} refused (HTTP ${res.status}): ${message}`);
      }
      return res;
    }
    throw new TinkerError(`${path} failed after ${this.attempts} attempts: ${last}`);
  }

  /** The result of an operation: polls retrieve_future until it is done, for at most maxWaitMs. */
  async result(submitted: Response): Promise<Json | Uint8Array> {
    const { request_id } = (await submitted.json()) as { request_id: string };
    const t0 = Date.now();
    while (Date.now() - t0 < this.maxWaitMs) {
      const res = await this.post("/retrieve_future", { request_id });
      if ((res.headers.get("content-type") ?? "").includes("application/x-protobuf"))
        return new Uint8Array(await res.arrayBuffer());
      const j = (await res.json()) as Json;
      if (j.type === "try_again") continue;
      if (typeof j.error === "string")
        throw new TinkerError(`request ${request_id} failed (${j.category ?? "unknown"}): ${j.error}`);
      return j;
    }
    throw new TinkerError(`request ${request_id}: no result after ${Math.round(this.maxWaitMs / 1000)} s`);
  }

  async createSession(): Promise<string> {
    const res = await this.post("/create_session", {
      tags: [],
      sdk_version: "wz-ts",
      type: "create_session",
    });
    return ((await res.json()) as { session_id: string }).session_id;
  }

  /** A training model on `baseModel`: LoRA of `lora.rank`, or every weight when lora is null. */
  async createModel(
    sessionId: string,
    modelSeq: number,
    baseModel: string,
    lora: { rank: number; seed?: number } | null,
  ): Promise<TinkerModel> {
    const body: Json = {
      session_id: sessionId,
      model_seq_id: modelSeq,
      base_model: baseModel,
      type: "create_model",
    };
    if (lora) body.lora_config = { rank: lora.rank, seed: lora.seed ?? 0 };
    const out = (await this.result(await this.post("/create_model", body))) as { model_id: string };
    return new TinkerModel(this, out.model_id);
  }

  /**
   * The files of an external weights checkpoint (tinker://MODEL/external_weights/NAME) into `dir`,
   * through the signed URLs the service hands out (what `tinker checkpoint download` does).
   */
  async downloadExternal(path: string, dir: string): Promise<string[]> {
    const m = /^tinker:\/\/([^/]+)\/(external_weights\/[^/]+)$/.exec(path);
    if (!m) throw new TinkerError(`${path} is not a tinker://MODEL/external_weights/NAME path`);
    const res = await this.request("GET", `/training_runs/${m[1]}/checkpoints/${m[2]}/external_weights_urls`);
    const { urls } = (await res.json()) as { urls: Record<string, string> };
    mkdirSync(dir, { recursive: true });
    const files = Object.keys(urls).sort();
    if (files.length === 0) throw new TinkerError(`${path} holds no file`);
    for (const file of files) {
      const target = resolve(dir, file);
      if (!target.startsWith(`${resolve(dir)}${sep}`))
        throw new TinkerError(`${path}: unsafe file name ${file}`);
      mkdirSync(dirname(target), { recursive: true });
      const body = await this.request("GET", urls[file]);
      writeFileSync(target, Buffer.from(await body.arrayBuffer()));
    }
    return files;
  }

  /** A sampling session on saved sampler weights (a tinker:// path) or on a base model. */
  async createSamplingSession(
    sessionId: string,
    samplingSeq: number,
    on: { modelPath: string } | { baseModel: string },
  ): Promise<TinkerSampler> {
    const body: Json = {
      session_id: sessionId,
      sampling_session_seq_id: samplingSeq,
      type: "create_sampling_session",
      ...("modelPath" in on ? { model_path: on.modelPath } : { base_model: on.baseModel }),
    };
    const res = await this.post("/create_sampling_session", body);
    return new TinkerSampler(
      this,
      ((await res.json()) as { sampling_session_id: string }).sampling_session_id,
    );
  }
}

/** One sampling session: fixed weights; each request carries its own seq_id (retries run once). */
export class TinkerSampler {
  private seq = 0;

  constructor(
    private readonly client: TinkerClient,
    readonly id: string,
  ) {}

  async sample(
    prompt: number[],
    n: number,
    params: SamplingParams,
    promptLogprobs = false,
  ): Promise<{ sequences: SampledSequence[]; promptLogprobs: number[] | null }> {
    const body: Json = {
      sampling_session_id: this.id,
      seq_id: ++this.seq,
      num_samples: n,
      prompt: { chunks: [{ type: "encoded_text", tokens: prompt }] },
      sampling_params: params,
      prompt_logprobs: promptLogprobs,
      type: "sample",
    };
    const out = await this.client.result(await this.client.post("/asample", body));
    if (out instanceof Uint8Array) return decodeSampleResponse(out);
    // A service that answers JSON: the SDK's SampleResponse fields.
    const j = out as {
      sequences: { tokens: number[]; logprobs?: number[] | null; stop_reason: string }[];
      prompt_logprobs?: (number | null)[] | null;
    };
    return {
      sequences: j.sequences.map((s) => ({
        tokens: s.tokens,
        logprobs: s.logprobs ?? [],
        stopReason: s.stop_reason === "length" ? "length" : "stop",
      })),
      promptLogprobs: j.prompt_logprobs ? j.prompt_logprobs.map((x) => x ?? Number.NaN) : null,
    };
  }
}

/** One training model of the service; its operations run in the order they are issued. */
export class TinkerModel {
  private seq = 0;

  constructor(
    private readonly client: TinkerClient,
    readonly id: string,
  ) {}

  async forwardBackward(
    data: Datum[],
    lossFn: string,
    config: Record<string, number> = {},
    forwardOnly = false,
  ): Promise<ForwardBackwardOutput> {
    const body = encodeForwardBackwardRequest({
      modelId: this.id,
      seqId: ++this.seq,
      lossFn,
      config,
      forwardOnly,
      data,
    });
    const out = await this.client.result(await this.client.post("/forward_backward", body));
    if (!(out instanceof Uint8Array))
      throw new UserError("forward_backward answered JSON: the service predates protobuf");
    return decodeForwardBackwardOutput(out);
  }

  /** forward: per-datum log-probabilities of the targets, no gradient. */
  forward(data: Datum[]): Promise<ForwardBackwardOutput> {
    return this.forwardBackward(data, "cross_entropy", {}, true);
  }

  async optimStep(adam: AdamParams): Promise<Record<string, number>> {
    const body = { model_id: this.id, seq_id: ++this.seq, adam_params: adam, type: "optim_step" };
    const out = (await this.client.result(await this.client.post("/optim_step", body))) as {
      metrics?: Record<string, number>;
    };
    return out.metrics ?? {};
  }

  /** save_state: the weights and the optimizer, under a tinker:// path. */
  async saveState(name: string): Promise<string> {
    // overwrite: a step redone after a killed run saves under the name it had
    const body = { model_id: this.id, path: name, seq_id: ++this.seq, overwrite: true, type: "save_weights" };
    return ((await this.client.result(await this.client.post("/save_weights", body))) as { path: string })
      .path;
  }

  /** save_weights_for_sampler: the weights alone, for a sampling session. */
  async saveForSampler(name: string): Promise<string> {
    const body = { model_id: this.id, path: name, seq_id: ++this.seq, type: "save_weights_for_sampler" };
    const out = await this.client.result(await this.client.post("/save_weights_for_sampler", body));
    return (out as { path: string }).path;
  }

  /** save_weights_external: the weights in Hugging Face form, to download (downloadExternal). */
  async saveExternal(name: string): Promise<string> {
    const body = { model_id: this.id, path: name, seq_id: ++this.seq, type: "save_weights_external" };
    const out = await this.client.result(await this.client.post("/save_weights_external", body));
    return (out as { path: string }).path;
  }

  /** load_state: weights, and the optimizer's moments when `withOptimizer`. */
  async loadState(path: string, withOptimizer: boolean): Promise<void> {
    const body = {
      model_id: this.id,
      path,
      optimizer: withOptimizer,
      seq_id: ++this.seq,
      type: "load_weights",
    };
    await this.client.result(await this.client.post("/load_weights", body));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
