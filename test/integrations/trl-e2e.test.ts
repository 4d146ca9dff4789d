// The real TRL on the CPU (integrations/tests/trl_e2e.py): a tiny Qwen3 made and saved by our
// engine loads in transformers with our logits, and WzBRPOTrainer trains it against a real
// `wz serve` with exactly the service's BRPO advantages. Needs the project's Python environment
// (.venv with torch 2.13, transformers and trl: `bash scripts/setup-python.sh`, which CI runs).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { saveModelFolder } from "../../src/model/checkpoint.ts";
import { Qwen3Model } from "../../src/model/qwen3.ts";
import { encodeSafetensors } from "../../src/model/safetensors.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { makeCorpus } from "../../src/tasks/constrained-writing.ts";
import { projectPython } from "../helpers/python.ts";

const python = projectPython(["trl", "transformers", "torch"]);

test("TRL's GRPOTrainer trains our model with exact BRPO advantages from wz serve", {
  skip: python.skip,
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-trl-"));
  const corpus = makeCorpus(200, 5).map((e) => `${e.prompt}\n${e.response}`);
  const bpe = trainBpe(corpus, 320);
  const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const model = Qwen3Model.random(
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
  const run = spawnSync(python.bin, ["integrations/tests/trl_e2e.py", dir, join(dir, "ours.safetensors")], {
    encoding: "utf8",
    timeout: 280_000,
    env: { ...process.env, TOKENIZERS_PARALLELISM: "false", HF_HUB_OFFLINE: "1" },
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-4000)}`);
  assert.match(run.stdout, /transformers logits vs ours: max abs diff/);
  assert.match(run.stdout, /BRPO advantages used as they are in 3 steps/);
  assert.match(run.stdout, /trl e2e: ok/);
});
