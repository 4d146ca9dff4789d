// Our TypeScript Tinker client against `wz tinker` on loopback: three importance-sampling steps of
// a full-weight model through the API equal the same steps on the server's training model
// in-process (same engine, same kernel); a request sent twice with its seq_id runs once; a refusal
// reaches the caller with the server's words.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { serve } from "@hono/node-server";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { createTinkerService } from "../../src/tinker/app.ts";
import { TinkerClient, TinkerError } from "../../src/tinker/client.ts";
import { type Datum, encodeForwardBackwardRequest } from "../../src/tinker/messages.ts";
import { TrainingModel } from "../../src/tinker/training-model.ts";
import { tinyModelFolder } from "../helpers/tinker.ts";

test("three API steps equal three in-process steps; a resent seq_id runs once; refusals are named", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tinker-client-"));
  const folder = join(dir, "tiny");
  tinyModelFolder(folder);
  const { model: local } = loadModelFolder(folder);
  const service = createTinkerService({
    bases: [{ name: "tiny", path: folder }],
    stateDir: dir,
    kernel: local.kernel,
  });
  const server = serve({ fetch: service.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  try {
    const client = new TinkerClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    const session = await client.createSession();
    const remote = await client.createModel(session, 0, "tiny", null);
    const inProcess = new TrainingModel("local", "tiny", local, null);
    const r = mulberry32(4);
    const V = local.cfg.vocabSize;
    const data: Datum[] = [9, 14, 6].map((n) => ({
      tokens: Array.from({ length: n }, () => Math.floor(r() * V)),
      inputs: new Map([
        [
          "target_tokens",
          {
            dtype: "int64" as const,
            shape: [n],
            data: Float64Array.from({ length: n }, () => Math.floor(r() * V)),
          },
        ],
        ["logprobs", { dtype: "float32" as const, shape: [n], data: new Float64Array(n).fill(-5.5) }],
        [
          "advantages",
          { dtype: "float32" as const, shape: [n], data: Float64Array.from({ length: n }, () => r() - 0.5) },
        ],
      ]),
    }));
    const adam = {
      learning_rate: 3e-3,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weight_decay: 0.01,
      grad_clip_norm: 1,
    };
    for (let step = 0; step < 3; step++) {
      const a = await remote.forwardBackward(data, "importance_sampling");
      const b = inProcess.forwardBackward({
        modelId: "local",
        seqId: 0,
        lossFn: "importance_sampling",
        config: {},
        forwardOnly: false,
        data,
      });
      assert.ok(
        Math.abs(a.metrics["loss:sum"] - b.metrics["loss:sum"]) <
          1e-6 * Math.max(1, Math.abs(b.metrics["loss:sum"])),
      );
      a.outputs.forEach((o, i) => {
        for (let t = 0; t < o.logprobs.length; t++)
          assert.ok(Math.abs(o.logprobs[t] - b.outputs[i].logprobs[t]) < 1e-5);
      });
      const na = await remote.optimStep(adam);
      const nb = inProcess.optimStep(adam);
      assert.ok(Math.abs(na["grad_norm:mean"] - nb["grad_norm:mean"]) < 1e-6 * nb["grad_norm:mean"]);
    }
    assert.equal(service.models.get(remote.id)!.steps, 3);
    await assert.rejects(
      remote.forwardBackward(data, "cispo"),
      (e: Error) => e instanceof TinkerError && /loss_fn "cispo" is not supported/.test(e.message),
    );
    // The same request twice (a retry after a lost reply): one request id, one run.
    const again = encodeForwardBackwardRequest({
      modelId: remote.id,
      seqId: 8,
      lossFn: "importance_sampling",
      config: {},
      forwardOnly: false,
      data,
    });
    const first = (await (await client.post("/forward_backward", again)).json()) as { request_id: string };
    const second = (await (await client.post("/forward_backward", again)).json()) as { request_id: string };
    assert.equal(first.request_id, second.request_id);
    await assert.rejects(
      client.createModel(session, 1, "Qwen/Qwen3-8B", null),
      /base_model "Qwen\/Qwen3-8B" is not served here/,
    );
  } finally {
    server.close();
    await service.close();
  }
});

test("a state saved before any optim_step loads with its (fresh) optimizer: the next step equals a new model's", () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tinker-fresh-"));
  const folder = join(dir, "tiny");
  tinyModelFolder(folder);
  const fresh = new TrainingModel("a", "tiny", loadModelFolder(folder).model, null);
  const loaded = new TrainingModel("b", "tiny", loadModelFolder(folder).model, null);
  fresh.saveState(join(dir, "s0"), true);
  loaded.loadState(join(dir, "s0"), true);
  const tokens = [5, 9, 3, 7, 11, 2];
  const data: Datum[] = [
    {
      tokens,
      inputs: new Map([
        [
          "target_tokens",
          { dtype: "int64" as const, shape: [6], data: Float64Array.from([9, 3, 7, 11, 2, 4]) },
        ],
        ["weights", { dtype: "float32" as const, shape: [6], data: new Float64Array(6).fill(1) }],
      ]),
    },
  ];
  const adam = {
    learning_rate: 1e-2,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weight_decay: 0,
    grad_clip_norm: 0,
  };
  const req = { modelId: "", seqId: 0, lossFn: "cross_entropy", config: {}, forwardOnly: false, data };
  for (const m of [fresh, loaded]) {
    m.forwardBackward(req);
    m.optimStep(adam);
  }
  const after = (m: TrainingModel) => m.forwardBackward({ ...req, forwardOnly: true }).outputs[0].logprobs;
  assert.deepEqual(Array.from(after(loaded)), Array.from(after(fresh)));
  assert.notDeepEqual(
    Array.from(after(fresh)),
    Array.from(
      new TrainingModel("c", "tiny", loadModelFolder(folder).model, null).forwardBackward({
        ...req,
        forwardOnly: true,
      }).outputs[0].logprobs,
    ),
  );
});

test("the key exchange (pjwt_auth_enabled): the client buys a token, and buys another when the service refuses it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-tinker-jwt-"));
  const folder = join(dir, "tiny");
  tinyModelFolder(folder);
  const service = createTinkerService({
    bases: [{ name: "tiny", path: folder }],
    stateDir: dir,
    kernel: loadModelFolder(folder).model.kernel,
    apiKey: "tml-key",
    jwtTtlSeconds: 600,
  });
  const server = serve({ fetch: service.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // the long-lived key opens the config and the exchange only
    const headers = { "x-api-key": "tml-key", "content-type": "application/json" };
    const config = await fetch(`${url}/api/v1/client/config`, { method: "POST", headers, body: "{}" });
    assert.equal(((await config.json()) as { pjwt_auth_enabled: boolean }).pjwt_auth_enabled, true);
    const raw = await fetch(`${url}/api/v1/create_session`, { method: "POST", headers, body: "{}" });
    assert.equal(raw.status, 401);
    assert.match(raw.headers.get("www-authenticate") ?? "", /error="invalid_token"/);

    const client = new TinkerClient({ baseUrl: url, apiKey: "tml-key" });
    const session = await client.createSession();
    const model = await client.createModel(session, 0, "tiny", { rank: 2 });
    const token = (client as unknown as { token: string }).token;
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    // a token the service no longer takes (here: signed by someone else) is replaced, once
    (client as unknown as { token: string }).token = `${token.slice(0, token.lastIndexOf(".") + 1)}forged`;
    const tokens = [5, 9, 3, 7];
    const out = await model.forward([
      {
        tokens,
        inputs: new Map([
          ["target_tokens", { dtype: "int64" as const, shape: [4], data: Float64Array.from([9, 3, 7, 2]) }],
          ["weights", { dtype: "float32" as const, shape: [4], data: new Float64Array(4) }],
        ]),
      },
    ]);
    assert.equal(out.outputs[0].logprobs.length, 4);
    assert.notEqual(
      (client as unknown as { token: string }).token,
      `${token.slice(0, token.lastIndexOf(".") + 1)}forged`,
    );
    // a wrong key cannot buy a token
    const wrong = new TinkerClient({ baseUrl: url, apiKey: "tml-wrong", attempts: 1 });
    await assert.rejects(
      wrong.createSession(),
      /\/client\/config refused \(HTTP 401\): missing or wrong X-API-Key/,
    );
  } finally {
    server.close();
    await service.close();
  }
});
