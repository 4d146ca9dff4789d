// `wz tinker` driven by a client no one here wrote: the official Tinker SDK (tinker 0.38 from PyPI,
// in .venv) runs integrations/tests/tinker_sdk.py against the real `wz tinker` process on a tiny
// Qwen3 folder made by our engine. The script checks forward log-probabilities against
// transformers, each loss against its formula, gradient accumulation, a falling SFT loss and a
// resumed client's next step; here the figures it prints are checked once more, and the server's
// own refusals are tested over plain HTTP.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import { TinkerClient, TinkerModel } from "../../src/tinker/client.ts";
import { startWz, type WzServer } from "../helpers/cli.ts";
import { projectPython } from "../helpers/python.ts";
import { tinyModelFolder } from "../helpers/tinker.ts";

const python = projectPython(["tinker", "transformers", "torch"]);
/** The older SDK releases scripts/setup-python.sh installs beside the pinned 0.38.0. */
const OLDER_SDKS = ["0.25.0", "0.30.4"];
const dir = mkdtempSync(join(tmpdir(), "wz-tinker-"));
const folder = join(dir, "tiny");
let server: WzServer;
let url = "";
let savedPath = "";

before(async () => {
  tinyModelFolder(folder);
  server = await startWz(
    ["tinker", "--model", `tiny=${folder}`, "--state", join(dir, "state"), "--api-key-env", "WZ_TEST_KEY"],
    { WZ_TEST_KEY: "tml-wz-test" },
  );
  url = server.url;
});

after(() => server?.stop());

test("the official tinker SDK trains, evaluates, saves, resumes and samples through wz tinker", {
  skip: python.skip,
}, () => {
  const r = spawnSync(python.bin, ["integrations/tests/tinker_sdk.py", url, "tiny", folder], {
    encoding: "utf8",
    env: { ...process.env, TINKER_TELEMETRY: "0" },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const f = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  // The same model in transformers gives the same log-probabilities (f32 against f64).
  assert.ok(f.forward_vs_transformers_max_abs < 1e-4);
  // Accumulated gradients: two calls then one step land where one call does.
  assert.ok(f.whole_vs_split_batch_after_step < 1e-5);
  assert.ok(f.sft_loss_first_last[1] < 0.8 * f.sft_loss_first_last[0]);
  assert.equal(f.resume_gap, 0);
  assert.match(f.saved_path, /^tinker:\/\/session-\d+-\w+:train:\d+\/weights\/after-12$/);
  assert.match(f.refusals.cispo, /loss_fn "cispo" is not supported/);
  // Sampled through llama.cpp; each token's log-probability is the training model's own.
  assert.equal(f.samples.length, 3);
  assert.ok(f.sample_logprob_gap < 1e-4);
  assert.match(f.sampler_path, /\/sampler_weights\/final$/);
  assert.equal(f.sdk_version, "0.38.0");
  savedPath = f.saved_path;
});

// Older SDKs (installed beside the pinned one by scripts/setup-python.sh) run the same script.
for (const version of OLDER_SDKS)
  test(`tinker ${version} (an older SDK) runs the same script through wz tinker`, {
    skip: python.skip,
  }, () => {
    const folder = join(".venv", "tinker-sdk", version);
    const r = spawnSync(python.bin, ["integrations/tests/tinker_sdk.py", url, "tiny", join(dir, "tiny")], {
      encoding: "utf8",
      env: { ...process.env, TINKER_TELEMETRY: "0", PYTHONPATH: resolve(folder) },
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const f = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(f.sdk_version, version, "the script did not run the older SDK");
    assert.ok(f.forward_vs_transformers_max_abs < 1e-4);
    assert.ok(f.whole_vs_split_batch_after_step < 1e-5);
    assert.equal(f.resume_gap, 0);
    assert.ok(f.sample_logprob_gap < 1e-4);
  });

test("with the key exchange on (pjwt_auth_enabled, 2 s tokens) the SDK buys tokens and the whole script passes", {
  skip: python.skip,
}, async () => {
  const jwtServer = await startWz(
    [
      "tinker",
      "--model",
      `tiny=${folder}`,
      "--state",
      join(dir, "state-jwt"),
      "--api-key-env",
      "WZ_TEST_KEY",
      "--jwt-ttl",
      "2",
    ],
    { WZ_TEST_KEY: "tml-wz-test" },
  );
  try {
    const headers = { "x-api-key": "tml-wz-test", "content-type": "application/json" };
    const raw = await fetch(`${jwtServer.url}/api/v1/get_server_capabilities`, { headers });
    assert.equal(raw.status, 401, "the long-lived key opened a route the token should");
    const r = spawnSync(python.bin, ["integrations/tests/tinker_sdk.py", jwtServer.url, "tiny", folder], {
      encoding: "utf8",
      env: { ...process.env, TINKER_TELEMETRY: "0" },
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const f = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(f.resume_gap, 0);
    assert.ok(f.forward_vs_transformers_max_abs < 1e-4);
  } finally {
    jwtServer.stop();
  }
});

test("the SDK's own `tinker checkpoint download` fetches a saved state as a model folder our engine loads", {
  skip: python.skip,
}, async () => {
  assert.ok(savedPath, "the SDK test saved no state");
  const out = join(dir, "downloads");
  const cli = join(dirname(python.bin), "tinker");
  const r = spawnSync(cli, ["checkpoint", "download", savedPath, "--output", out], {
    encoding: "utf8",
    env: { ...process.env, TINKER_TELEMETRY: "0", TINKER_BASE_URL: url, TINKER_API_KEY: "tml-wz-test" },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const folder = join(out, savedPath.replace("tinker://", "").replaceAll("/", "_"));
  const { model, tokenizer } = loadModelFolder(folder);
  assert.ok(tokenizer, "the download has no tokenizer");
  // The downloaded weights are the saved state's: its log-probabilities equal a training model
  // loaded from the same state on the server (a LoRA state, merged for the download).
  const client = new TinkerClient({ baseUrl: url, apiKey: "tml-wz-test" });
  const session = await client.createSession();
  const res = await client.post("/load_weights", {
    session_id: session,
    model_seq_id: 0,
    path: savedPath,
    optimizer: false,
  });
  const { model_id } = (await client.result(res)) as { model_id: string };
  const tokens = tokenizer!.encode(
    "User: Write one sentence about a lantern.\n\nAssistant: The lantern glows.",
  );
  const datum = {
    tokens: tokens.slice(0, -1),
    inputs: new Map([
      [
        "target_tokens",
        { dtype: "int64" as const, shape: [tokens.length - 1], data: Float64Array.from(tokens.slice(1)) },
      ],
      [
        "weights",
        { dtype: "float32" as const, shape: [tokens.length - 1], data: new Float64Array(tokens.length - 1) },
      ],
    ]),
  };
  const served = await new TinkerModel(client, model_id).forward([datum]);
  const local = model.forward(tokens.slice(0, -1), tokens.slice(1), false).logprobs;
  const base = loadModelFolder(join(dir, "tiny")).model.forward(
    tokens.slice(0, -1),
    tokens.slice(1),
    false,
  ).logprobs;
  let gap = 0;
  let moved = 0;
  for (let t = 0; t < local.length; t++) {
    // relative: the download is the LoRA state merged into f32 weights, the served model adds
    // B·A on the fly, so they round differently
    gap = Math.max(gap, Math.abs(local[t] - served.outputs[0].logprobs[t]) / Math.max(1, Math.abs(local[t])));
    moved = Math.max(moved, Math.abs(local[t] - base[t]));
  }
  assert.ok(gap < 1e-5, `downloaded vs served log-probabilities differ by ${gap} (relative)`);
  assert.ok(moved > 1e-3, "the download is the base model, not the trained state");
  // The CLI exported through a temporary checkpoint and deleted it afterwards.
  const runs = join(dir, "state", "runs");
  const leftovers = readdirSync(runs).filter((m) =>
    existsSync(join(runs, m, "external_weights", "download")),
  );
  assert.deepEqual(leftovers, []);
});

test("without the API key every route but healthz is refused; unknown routes are named", async () => {
  assert.equal((await fetch(`${url}/api/v1/healthz`)).status, 200);
  const noKey = await fetch(`${url}/api/v1/get_server_capabilities`);
  assert.equal(noKey.status, 401);
  const headers = { "x-api-key": "tml-wz-test", "content-type": "application/json" };
  const caps = (await (await fetch(`${url}/api/v1/get_server_capabilities`, { headers })).json()) as {
    supported_models: { model_name: string }[];
  };
  assert.deepEqual(
    caps.supported_models.map((m) => m.model_name),
    ["tiny"],
  );
  const publish = `${url}/api/v1/training_runs/m/checkpoints/weights/w/publish`;
  const unknown = await fetch(publish, { method: "POST", headers, body: "{}" });
  assert.equal(unknown.status, 404);
  assert.match(
    ((await unknown.json()) as { error: string }).error,
    /POST \/api\/v1\/training_runs\/m\/checkpoints\/weights\/w\/publish is not supported by wz tinker/,
  );
  const missing = await fetch(`${url}/api/v1/get_info`, {
    method: "POST",
    headers,
    body: JSON.stringify({ model_id: "nobody:train:0" }),
  });
  assert.equal(missing.status, 400);
  assert.match(
    ((await missing.json()) as { error: string }).error,
    /model_id "nobody:train:0" is not loaded/,
  );
  const notServed = await fetch(`${url}/api/v1/create_model`, {
    method: "POST",
    headers,
    body: JSON.stringify({ session_id: "s", model_seq_id: 0, base_model: "Qwen/Qwen3-8B" }),
  });
  assert.equal(notServed.status, 400);
  assert.match(
    ((await notServed.json()) as { error: string }).error,
    /base_model "Qwen\/Qwen3-8B" is not served here \(serving: tiny\)/,
  );
});
