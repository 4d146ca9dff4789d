// The engine's commands end to end: tokenizer -> random model -> GGUF -> sample; score against
// llama.cpp's own probabilities; supervised fine-tuning with LoRA.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createContext, loadGgufModel, nextTokenDistributions } from "../../src/llm/llama-cpp.ts";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import { runWz } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-cmds-"));

describe("engine commands", () => {
  test("tokenizer train, init-model, export, sample, score and finetune", async () => {
    const corpus = Array.from(
      { length: 40 },
      (_, i) => `the lamp by the river number ${i % 7} glows softly`,
    ).join("\n");
    writeFileSync(join(dir, "corpus.txt"), corpus);
    let r = await runWz([
      "tokenizer",
      "train",
      "--input",
      join(dir, "corpus.txt"),
      "--vocab-size",
      "300",
      "--output",
      join(dir, "tok"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await runWz([
      "init-model",
      "--tokenizer",
      join(dir, "tok"),
      "--output",
      join(dir, "m"),
      "--hidden",
      "32",
      "--layers",
      "2",
      "--heads",
      "2",
      "--kv-heads",
      "1",
      "--head-dim",
      "16",
      "--intermediate",
      "64",
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await runWz(["export", join(dir, "m"), "--gguf", join(dir, "m.gguf")]);
    assert.equal(r.code, 0, r.stderr);
    r = await runWz(["sample", join(dir, "m.gguf"), "--prompt", "the lamp", "--n", "2", "--max-tokens", "8"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/--- sample \d/g)?.length, 2);

    // score: our teacher-forced log-probability equals the sum of llama.cpp's next-token log-probs.
    writeFileSync(
      join(dir, "score.jsonl"),
      `${JSON.stringify({ id: "x", prompt: "the lamp", response: "by the river" })}\n`,
    );
    r = await runWz(["score", join(dir, "m"), "--input", join(dir, "score.jsonl")]);
    assert.equal(r.code, 0, r.stderr);
    const ours = JSON.parse(r.stdout.trim());
    const { tokenizer } = loadModelFolder(join(dir, "m"));
    const prompt = tokenizer!.encode(
      tokenizer!.applyChatTemplate([{ role: "user", content: "the lamp" }], true),
    );
    const response = tokenizer!.encode("by the river").concat([tokenizer!.eosId!]);
    const full = prompt.concat(response);
    const lm = await loadGgufModel(join(dir, "m.gguf"));
    const ctx = await createContext(lm, { exact: true });
    const dists = await nextTokenDistributions(ctx, full, tokenizer!.vocabSize);
    let theirs = 0;
    for (let t = prompt.length - 1; t + 1 < full.length; t++) theirs += Math.log(dists[t][full[t + 1]]);
    await ctx.dispose();
    await lm.dispose();
    assert.equal(ours.tokens, response.length);
    assert.ok(Math.abs(ours.logprob - theirs) < 1e-3, `${ours.logprob} vs ${theirs}`);

    // finetune with LoRA: the loss falls; the adapter is saved in the PEFT layout.
    const sft = Array.from({ length: 8 }, () =>
      JSON.stringify({ prompt: "the lamp", response: "by the river glows softly" }),
    ).join("\n");
    writeFileSync(join(dir, "sft.jsonl"), sft);
    r = await runWz([
      "finetune",
      join(dir, "m"),
      "--data",
      join(dir, "sft.jsonl"),
      "--output",
      join(dir, "ft"),
      "--steps",
      "30",
      "--lr",
      "0.01",
      "--batch",
      "4",
      "--lora-rank",
      "4",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [, before, after] = r.stdout.match(/\(all tokens\) ([\d.]+) -> ([\d.]+)/)!.map(Number);
    assert.ok(after < before, `${before} -> ${after}`);
    assert.ok(existsSync(join(dir, "ft", "adapter", "adapter_config.json")));
    assert.ok(
      !readFileSync(join(dir, "ft", "model.safetensors")).equals(
        readFileSync(join(dir, "m", "model.safetensors")),
      ),
    );
  });
});

test("numeric flags are validated by one parser, naming the flag", async () => {
  const { numberFlag, numberOf } = await import("../../src/cli/flags.ts");
  assert.throws(
    () => numberOf({ n: "abc" }, "n", { int: true, min: 1 }),
    /--n: expected an integer >= 1, got "abc"/,
  );
  assert.throws(() => numberOf({ steps: "1.5" }, "steps", { int: true }), /--steps: expected an integer/);
  assert.throws(() => numberOf({ p: "" }, "p"), /--p: expected a number/);
  assert.throws(() => numberOf({ step: "9" }, "step", { max: 4 }), /<= 4/);
  assert.equal(numberOf({ lr: "1e-4" }, "lr", { min: 0 }), 1e-4);
  assert.equal(numberFlag({}, "x"), undefined);
});
