// Parity with PyTorch: scripts/torch_parity.py rebuilds our model from the safetensors we save and
// compares logits and gradients (<= 1e-4 relative), against every PyTorch on the machine: 2.13 in
// the project's .venv (scripts/setup-python.sh) and Debian's python3-torch (1.13); CI has both.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { saveModelFolder } from "../../src/model/checkpoint.ts";
import { mulberry32 } from "../../src/model/random.ts";
import { encodeSafetensors } from "../../src/model/safetensors.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";
import { projectPython } from "../helpers/python.ts";
import { unlessCi } from "../helpers/requirement.ts";

const hf = projectPython(["transformers", "torch"]);

const peers = [resolve(".venv/bin/python"), "/usr/bin/python3"].map((bin) => {
  const r = spawnSync(bin, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  return { bin, version: r.status === 0 ? r.stdout.trim() : null };
});

const variants = [
  { name: "qwen3, untied head", over: { tieWordEmbeddings: false } },
  { name: "qwen3, tied head", over: { tieWordEmbeddings: true } },
  { name: "qwen2, q/k/v biases", over: { arch: "qwen2" as const, attentionBias: true } },
];
for (const [k, variant] of variants.entries()) {
  test(`logits and gradients match PyTorch (${variant.name})`, {
    skip: unlessCi(
      !peers.some((p) => p.version) &&
        "no PyTorch: bash scripts/setup-python.sh (2.13) or apt-get install python3-torch (1.13)",
    ),
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), "wz-torch-"));
    const cfg = tinyConfig({ numLayers: 2, ropeTheta: 1e6, ...variant.over });
    const model = randomModel(cfg, 21 + k, "f32", 0.3);
    for (const spec of model.params.specs) {
      if (!spec.name.endsWith(".bias")) continue;
      const b = model.params.get(spec.name);
      for (let i = 0; i < b.length; i++) b[i] = 0.1 * Math.cos(i);
    }
    saveModelFolder(dir, model, null);
    const T = 11;
    const tokens = randomTokens(T, cfg.vocabSize, 4);
    const r = mulberry32(9);
    const weights = Array.from({ length: T }, (_, t) => (t < T - 1 ? r() * 2 - 1 : 0));
    const targets = tokens.slice(1).concat([-1]);
    const logits = model.logits(tokens);
    model.zeroGrad();
    model.forward(tokens, targets);
    model.backward(weights);
    const tensors = new Map<string, { shape: number[]; data: ArrayLike<number> }>([
      ["tokens", { shape: [T], data: tokens }],
      ["weights", { shape: [T], data: weights }],
      ["logits", { shape: [T, cfg.vocabSize], data: logits }],
    ]);
    for (const s of model.params.specs)
      tensors.set(`grad.${s.name}`, { shape: s.shape, data: model.grads!.get(s.name) });
    writeFileSync(join(dir, "ours.safetensors"), encodeSafetensors(tensors));
    // Under CI both peers are installed (.ci/run): the Debian 1.13 and the .venv's 2.13.
    if (process.env.CI)
      assert.deepEqual(
        peers.filter((p) => !p.version),
        [],
        "a PyTorch peer is missing",
      );
    for (const peer of peers.filter((p) => p.version)) {
      const run = spawnSync(peer.bin, ["scripts/torch_parity.py", dir, join(dir, "ours.safetensors")], {
        encoding: "utf8",
      });
      assert.equal(run.status, 0, `PyTorch ${peer.version}: ${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /max relative error/);
    }
    // And transformers' own class for this architecture, the model users train.
    if (!hf.skip) {
      const run = spawnSync(
        hf.bin,
        ["integrations/tests/hf_grad_parity.py", dir, join(dir, "ours.safetensors")],
        {
          encoding: "utf8",
          env: { ...process.env, HF_HUB_OFFLINE: "1" },
        },
      );
      assert.equal(run.status, 0, `transformers: ${run.stdout}\n${run.stderr.slice(-3000)}`);
      console.log(run.stdout.trim().split("\n").at(-1));
      const cls = variant.over.arch === "qwen2" ? "Qwen2ForCausalLM" : "Qwen3ForCausalLM";
      assert.match(run.stdout, new RegExp(`${cls}: \\d+ parameters compared, max relative error`));
    }
  });
}
