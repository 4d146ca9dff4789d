// bench:engine's FLOP count per token: a case worked by hand, and PyTorch's own FLOP counter on
// the bench's model (its reference attention is dense, masked positions included).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { trainFlopsPerToken } from "../../bench/machine-peak.ts";
import { projectPython } from "../helpers/python.ts";

test("FLOPs per token, by hand", () => {
  // q = 2 x 2 = 4, kv = 2: projections 4 x (4 + 4) + 4 x 4 = 48, MLP 3 x 4 x 8 = 96,
  // causal attention 2 x 4 x (3 + 1) / 2 = 16, head 4 x 10 = 40: 200 MACs, x 2 x 3 = 1200
  const c = {
    hiddenSize: 4,
    numLayers: 1,
    numHeads: 2,
    numKVHeads: 1,
    headDim: 2,
    intermediateSize: 8,
    vocabSize: 10,
    seq: 3,
  };
  assert.equal(trainFlopsPerToken(c), 1200);
  // dense attention: 2 x 4 x 3 = 24 instead of 16
  assert.equal(trainFlopsPerToken({ ...c, denseAttention: true }), 6 * 208);
});

const python = projectPython(["torch"]);
test("FLOPs per token agree with PyTorch's FlopCounterMode", { skip: python.skip }, () => {
  for (const [width, layers, seq, vocab] of [
    [128, 4, 256, 512],
    [64, 2, 32, 300],
  ]) {
    const r = spawnSync(
      python.bin,
      ["scripts/torch_flops.py", String(width), String(layers), String(seq), String(vocab)],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const torch = Number(r.stdout.trim());
    const ours = trainFlopsPerToken({
      hiddenSize: width,
      numLayers: layers,
      numHeads: 4,
      numKVHeads: 2,
      headDim: width / 4,
      intermediateSize: 3 * width,
      vocabSize: vocab,
      seq,
      denseAttention: true,
    });
    assert.equal(ours, torch, `width ${width}`);
  }
});
