// `wz tinker` driven by a client no one here wrote: the official Tinker SDK (tinker 0.38 from PyPI,
// in .venv) runs integrations/tests/tinker_sdk.py against the real `wz tinker` process on a tiny
// Qwen3 folder made by our engine. The script checks forward log-probabilities against
// transformers, each loss against its formula, gradient accumulation, a falling SFT loss and a
// resumed client's next step; here the figures it prints are checked once more, and the server's
// own refusals are tested over plain HTTP.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { saveModelFolder } from "../../src/model/checkpoint.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { makeCorpus } from "../../src/world/constrained-writing.ts";
import { WZ } from "../helpers/cli.ts";
import { projectPython } from "../helpers/python.ts";

const python = projectPython(["tinker", "transformers", "torch"]);
const dir = mkdtempSync(join(tmpdir(), "wz-tinker-"));
const folder = join(dir, "tiny");
let server: ChildProcess | null = null;
let url = "";

/** `wz tinker` as a process, with an API key; resolves with its URL once it listens. */
async function startServer(): Promise<void> {
  server = spawn(
    process.execPath,
    [
      WZ,
      "tinker",
      "--model",
      `tiny=${folder}`,
      "--port",
      "0",
      "--state",
      join(dir, "state"),
      "--api-key-env",
      "WZ_TEST_KEY",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WZ_TEST_KEY: "tml-wz-test" } },
  );
  let err = "";
  server.stderr?.on("data", (d) => {
    err += d;
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    server!.stdout?.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server!.on("exit", (code) => reject(new Error(`wz tinker exited ${code}: ${err}`)));
  });
}

before(async () => {
  const corpus = makeCorpus(200, 5).map((e) => `${e.prompt}\n${e.response}`);
  const bpe = trainBpe(corpus, 320);
  const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const model = DecoderModel.random(
    {
      vocabSize: tokenizer.vocabSize,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKVHeads: 2,
      headDim: 8,
      intermediateSize: 64,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      tieWordEmbeddings: true,
      maxPositionEmbeddings: 256,
      bosTokenId: null,
      eosTokenId: tokenizer.eosId,
    },
    7,
  );
  saveModelFolder(folder, model, tokenizer);
  await startServer();
});

after(() => {
  server?.kill("SIGTERM");
});

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
  const unknown = await fetch(`${url}/api/v1/save_weights_external`, { method: "POST", headers, body: "{}" });
  assert.equal(unknown.status, 404);
  assert.match(
    ((await unknown.json()) as { error: string }).error,
    /save_weights_external is not supported by wz tinker/,
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
