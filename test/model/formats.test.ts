// Formats: safetensors and model-folder round trips, GGUF validation, tokenizer ids against
// llama.cpp's, bf16/f16 widening, and a learning check for pretraining.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { assertLoadableGguf, loadGgufModel } from "../../src/llm/llama-cpp.ts";
import { exportGguf, loadModelFolder, saveModelFolder } from "../../src/model/checkpoint.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import { readGgufHeader, validateGguf, writeGguf } from "../../src/model/gguf.ts";
import { evalLoss, pretrain } from "../../src/model/pretrain.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/model/safetensors.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { makeCorpus } from "../../src/world/constrained-writing.ts";
import { randomModel, tinyConfig } from "../helpers/models.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-formats-"));
const corpus = [
  "Hello world, hello café!",
  "The river ran past the old mill.",
  "naïve façade 東京 🙂 tabs\tand  spaces",
];
const bpe = trainBpe(corpus.concat(corpus), 300);
const tok = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));

describe("model folder round trip", () => {
  test("save -> load gives identical tensors, config and tokenizer", () => {
    const cfg = tinyConfig({ vocabSize: tok.vocabSize, tieWordEmbeddings: false });
    const m = randomModel(cfg, 3, "f32");
    saveModelFolder(join(dir, "m"), m, tok);
    const { model, tokenizer } = loadModelFolder(join(dir, "m"));
    assert.deepEqual(model.cfg, { arch: "qwen3", attentionBias: false, ...cfg });
    assert.deepEqual(Array.from(model.params.data), Array.from(m.params.data));
    assert.deepEqual(tokenizer!.encode("Hello world"), tok.encode("Hello world"));
    const config = JSON.parse(readFileSync(join(dir, "m", "config.json"), "utf8"));
    assert.equal(config.architectures[0], "Qwen3ForCausalLM");
  });

  test("a sharded model.safetensors.index.json loads like a single file", () => {
    const cfg = tinyConfig({ vocabSize: tok.vocabSize });
    const m = randomModel(cfg, 9, "f32");
    const shard = join(dir, "sharded");
    saveModelFolder(shard, m, tok);
    rmSync(join(shard, "model.safetensors"));
    const specs = m.params.specs;
    const half = Math.floor(specs.length / 2);
    const weightMap: Record<string, string> = {};
    [specs.slice(0, half), specs.slice(half)].forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeFileSync(
        join(shard, file),
        encodeSafetensors(new Map(part.map((s) => [s.name, { shape: s.shape, data: m.params.get(s.name) }]))),
      );
      for (const s of part) weightMap[s.name] = file;
    });
    writeFileSync(
      join(shard, "model.safetensors.index.json"),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const { model } = loadModelFolder(shard);
    assert.deepEqual(Array.from(model.params.data), Array.from(m.params.data));
  });

  test("bf16 and f16 safetensors are widened to float32", () => {
    // Hand-built file: [1.5, -2] in bf16 (0x3fc0, 0xc000) and f16 (0x3e00, 0xc000).
    const header = JSON.stringify({
      a: { dtype: "BF16", shape: [2], data_offsets: [0, 4] },
      b: { dtype: "F16", shape: [2], data_offsets: [4, 8] },
    });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.from([0xc0, 0x3f, 0x00, 0xc0, 0x00, 0x3e, 0x00, 0xc0]);
    const t = decodeSafetensors(Buffer.concat([len, Buffer.from(header), data]));
    assert.deepEqual(Array.from(t.get("a")!.data), [1.5, -2]);
    assert.deepEqual(Array.from(t.get("b")!.data), [1.5, -2]);
  });
});

describe("GGUF validation", () => {
  const cfg = tinyConfig({ vocabSize: tok.vocabSize });
  const good = join(dir, "good.gguf");
  writeFileSync(good, exportGguf(randomModel(cfg, 1, "f32"), tok));

  test("our export passes, and F16/Q8_0 exports load in llama.cpp", async () => {
    assert.deepEqual(validateGguf(readGgufHeader(good)), []);
    const m = DecoderModel.random(
      tinyConfig({ vocabSize: tok.vocabSize, hiddenSize: 32, headDim: 8, intermediateSize: 64 }),
      2,
    );
    for (const type of ["f16", "q8_0"] as const) {
      const path = join(dir, `m-${type}.gguf`);
      writeFileSync(path, exportGguf(m, tok, type));
      const lm = await loadGgufModel(path);
      assert.equal(lm.tokens.bos !== undefined, true);
      await lm.dispose();
    }
  });

  test("a file missing a key that aborts llama.cpp is a clear error, never a crash", () => {
    const info = readGgufHeader(good);
    for (const key of [
      "qwen3.feed_forward_length",
      "qwen3.attention.head_count",
      "tokenizer.ggml.tokens",
      "tokenizer.ggml.merges",
    ]) {
      const meta = Object.fromEntries(
        [...info.metadata.entries()]
          .filter(([k]) => k !== key)
          .map(([k, v]) => [
            k,
            typeof v === "string"
              ? { type: "string" as const, value: v }
              : Array.isArray(v)
                ? typeof v[0] === "string"
                  ? { type: "strings" as const, value: v as string[] }
                  : { type: "i32s" as const, value: v as number[] }
                : typeof v === "boolean"
                  ? { type: "bool" as const, value: v }
                  : Number.isInteger(v)
                    ? { type: "u32" as const, value: v as number }
                    : { type: "f32" as const, value: v as number },
          ]),
      );
      const path = join(dir, `bad-${key}.gguf`);
      writeFileSync(
        path,
        writeGguf(meta, [
          {
            name: "token_embd.weight",
            shape: [tok.vocabSize, 16],
            data: new Float32Array(tok.vocabSize * 16),
            type: 0,
          },
        ]),
      );
      assert.throws(
        () => assertLoadableGguf(path),
        new RegExp(`not loadable by llama.cpp: .*missing ${key.replaceAll(".", "\\.")}`),
      );
    }
    writeFileSync(join(dir, "junk.gguf"), "not a gguf at all");
    assert.throws(() => assertLoadableGguf(join(dir, "junk.gguf")), /not a GGUF file/);
  });
});

describe("tokenizer", () => {
  const cfg = tinyConfig({ vocabSize: tok.vocabSize });
  const path = join(dir, "tok.gguf");
  writeFileSync(path, exportGguf(randomModel(cfg, 1, "f32"), tok));
  let model: Awaited<ReturnType<typeof loadGgufModel>> | null = null;
  after(async () => model?.dispose());

  test("our ids equal llama.cpp's on ASCII, whitespace runs, special tokens, accents, CJK and emoji", async () => {
    model = await loadGgufModel(path);
    const texts = [
      "Hello world, hello again.",
      "  leading and trailing spaces   ",
      "tabs\tand\nnewlines\n\n\nand  double  spaces",
      "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
      "café naïve façade Ångström",
      "東京タワーと富士山",
      "emoji 🙂🚀 and ZWJ 👩‍💻",
      "it's we'll they've I'd",
    ];
    for (const text of texts) {
      const ours = tok.encode(text);
      const theirs: number[] = Array.from(model.tokenize(text, true) as number[]);
      assert.deepEqual(ours, theirs, JSON.stringify(text));
      assert.equal(tok.decode(ours, false), text);
    }
  });

  test("the BPE trainer learns merges and keeps all 256 bytes", () => {
    assert.equal(bpe.tokens.length, 300);
    assert.ok(bpe.merges.length > 0);
    assert.ok(tok.encode("hello").length < 5, "frequent words should be merged");
  });
});

describe("learning", () => {
  test("pretraining on the generated corpus beats the unigram entropy by a wide margin", async () => {
    const examples = makeCorpus(400, 3);
    const texts = examples.map((e) => `${e.prompt}\n${e.response}`);
    const b = trainBpe(texts, 400);
    const t = new TextTokenizer(tokenizerJson(b), tokenizerConfigJson(b));
    const seqs = texts.map((x) => t.encode(x));
    const train = seqs.slice(0, 360);
    const held = seqs.slice(360);
    // Unigram entropy of the held-out tokens under training-set frequencies (add-one smoothing):
    // the best loss a model that ignores context could reach.
    const counts = new Float64Array(t.vocabSize).fill(1);
    for (const s of train) for (const id of s) counts[id]++;
    const total = counts.reduce((a, x) => a + x, 0);
    let h = 0;
    let n = 0;
    for (const s of held) {
      for (const id of s.slice(1)) {
        h -= Math.log(counts[id] / total);
        n++;
      }
    }
    const unigram = h / n;
    const { selectKernel } = await import("../../src/model/kernels/select.ts");
    const model = DecoderModel.random(
      tinyConfig({ vocabSize: t.vocabSize, hiddenSize: 48, headDim: 12, intermediateSize: 96 }),
      1,
      "f32",
      await selectKernel("auto"),
    );
    const before = evalLoss(model, held);
    pretrain(model, train, { steps: 120, batchSize: 8, lr: 4e-3, seed: 1 });
    const afterLoss = evalLoss(model, held);
    // Random init predicts ~uniformly: log V. Prompts are templated and responses drawn from small
    // banks, so context makes most tokens predictable: well under half the unigram entropy.
    assert.ok(
      Math.abs(before - Math.log(t.vocabSize)) < 0.5,
      `initial loss ${before} vs log V ${Math.log(t.vocabSize)}`,
    );
    assert.ok(afterLoss < 0.5 * unigram, `held-out loss ${afterLoss} vs unigram entropy ${unigram}`);
  });
});
