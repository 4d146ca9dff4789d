// The real frameworks on the CPU, against a real `wz serve`, on a tiny Qwen3 made and saved by our
// engine. TRL (integrations/tests/trl_e2e.py): the folder loads in transformers with our logits,
// and WzBRPOTrainer trains it with exactly the service's BRPO advantages. verl
// (integrations/tests/verl_reward_loop.py): its reward loop loads our manager and its brpo
// estimator uses the rewards unchanged. OpenRLHF (integrations/tests/openrlhf_brpo.py): its
// reward client, CLI and advantage code with the brpo estimator. Needs the project's Python environment (.venv with torch
// 2.13, transformers, trl and verl: `bash scripts/setup-python.sh`, which CI runs).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { saveModelFolder } from "../../src/model/checkpoint.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import { encodeSafetensors } from "../../src/model/safetensors.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { makeCorpus } from "../../src/world/constrained-writing.ts";
import { projectPython } from "../helpers/python.ts";

const python = projectPython(["trl", "verl", "transformers", "torch"]);
const dir = mkdtempSync(join(tmpdir(), "wz-frameworks-"));

before(() => {
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
  saveModelFolder(dir, model, tokenizer);
  const tokens = tokenizer.encode("Write one sentence about rain. Rain falls on the quiet hill.");
  const logits = model.logits(tokens);
  writeFileSync(
    join(dir, "ours.safetensors"),
    encodeSafetensors(
      new Map([
        ["tokens", { shape: [tokens.length], data: tokens }],
        ["logits", { shape: [tokens.length, model.cfg.vocabSize], data: logits }],
      ]),
    ),
  );
});

function runPython(script: string, args: string[]) {
  return spawnSync(python.bin, [script, ...args], {
    encoding: "utf8",
    timeout: 280_000,
    env: {
      ...process.env,
      TOKENIZERS_PARALLELISM: "false",
      HF_HUB_OFFLINE: "1",
      RAY_DISABLE_IMPORT_WARNING: "1",
    },
  });
}

test("TRL's GRPOTrainer trains our model with exact BRPO advantages from wz serve", {
  skip: python.skip,
  timeout: 300_000,
}, () => {
  const run = runPython("integrations/tests/trl_e2e.py", [dir, join(dir, "ours.safetensors")]);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-4000)}`);
  assert.match(run.stdout, /Qwen3ForCausalLM: max abs diff/);
  assert.match(run.stdout, /BRPO advantages used as they are in 3 steps/);
  assert.match(run.stdout, /trl e2e: ok/);
});

test("verl's reward loop loads our manager; its brpo estimator passes the service's rewards through as advantages", {
  skip: python.skip,
  timeout: 300_000,
}, () => {
  const run = runPython("integrations/tests/verl_reward_loop.py", [dir]);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-4000)}`);
  assert.match(run.stdout, /brpo advantages = rewards exactly/);
  assert.match(run.stdout, /verl reward loop: ok/);
});

test("OpenRLHF's reward client, CLI and advantage code give exact BRPO with wz_openrlhf", {
  skip: python.skip,
  timeout: 300_000,
}, () => {
  const run = runPython("integrations/tests/openrlhf_brpo.py", []);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-4000)}`);
  assert.match(run.stdout, /brpo advantages = the service's rewards exactly/);
  assert.match(run.stdout, /openrlhf brpo: ok/);
});
