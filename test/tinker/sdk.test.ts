// `wz tinker` driven by a client no one here wrote: the official Tinker SDK (tinker 0.38 from PyPI,
// in .venv) runs integrations/tests/tinker_sdk.py against the real `wz tinker` process on a tiny
// Qwen3 folder made by our engine. The script checks forward log-probabilities against
// transformers, each loss against its formula, gradient accumulation, a falling SFT loss and a
// resumed client's next step; here the figures it prints are checked once more, and the server's
// own refusals are tested over plain HTTP.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startWz, type WzServer } from "../helpers/cli.ts";
import { projectPython } from "../helpers/python.ts";
import { tinyModelFolder } from "../helpers/tinker.ts";

const python = projectPython(["tinker", "transformers", "torch"]);
const dir = mkdtempSync(join(tmpdir(), "wz-tinker-"));
const folder = join(dir, "tiny");
let server: WzServer;
let url = "";

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
