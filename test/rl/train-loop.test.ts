// A short real run of the loop (a very small model), then kill -9 and resume: the resumed run must
// reproduce the uninterrupted one exactly (rollouts, references, weights).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz, WZ } from "../helpers/cli.ts";
import { committedSteps } from "../helpers/committed.ts";
import { waitWhileRunning } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-train-"));
const config = (extra = "") => `seed: 5
model:
  init: tiny
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 15, batch_size: 8, lr: 0.004}
data: {prompts: tiny, train_count: 8, eval_count: 3}
judge: {kind: rules}
rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 12}
train: {steps: 5, lr: 0.001, checkpoint_every: 2}
eval: {samples_per_prompt: 1}
${extra}`;
const cfgPath = join(dir, "tiny.yaml");
writeFileSync(cfgPath, config());

function snapshot(runDir: string) {
  const store = new RunStore(join(runDir, "run.sqlite"), { readonly: true });
  const steps = store.stepMetrics().map((s) => s.step);
  const rollouts = steps.flatMap((s) =>
    store.rollouts(s).map((r) => [r.step, r.group, r.member, r.text, r.advantage]),
  );
  const refs = steps.flatMap((s) => store.groups(s).map((g) => [g.step, g.group, g.referenceIndices]));
  store.close();
  return { steps, rollouts, refs, weights: readFileSync(join(runDir, "final", "model.safetensors")) };
}

describe("wz train on a very small model", () => {
  test("runs to completion and records every step, rollout and comparison", async () => {
    const r = await runWz(["train", cfgPath, "--output", join(dir, "a")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /step 5\/5/);
    assert.match(r.stdout, /final vs initial policy on 3 held-out prompts/);
    const store = new RunStore(join(dir, "a", "run.sqlite"), { readonly: true });
    assert.equal(store.lastCompletedStep(), 4);
    for (let s = 0; s < 5; s++) {
      assert.equal(store.rollouts(s).length, 2 * 4);
      assert.equal(store.groups(s).length, 2);
      const comparisons = store.comparisons(s);
      assert.equal(comparisons.length, 2 * 3); // G - 1 per group
      assert.ok(comparisons.every((c) => (c.verdict as { conditions: unknown[] }).conditions.length === 2));
    }
    const m = store.stepMetrics()[0].metrics;
    for (const key of [
      "win_rate_vs_reference",
      "dropped_groups",
      "judge_consistency",
      "length_words_mean",
      "over_explanation_tokens",
      "kl_to_initial",
      "entropy",
      "clip_fraction",
      "grad_norm",
      "time_sample_s",
      "time_judge_s",
      "time_train_s",
    ]) {
      assert.ok(key in m, `metric ${key} missing`);
    }
    assert.ok(store.getMeta("config"));
    assert.ok(store.getEval("final_vs_initial"));
    store.close();
    assert.ok(existsSync(join(dir, "a", "checkpoints", "step-2", "model.safetensors")));
    assert.equal(
      readFileSync(join(dir, "a", "metrics.jsonl"), "utf8")
        .trim()
        .split("\n").length,
      5,
    );
  });

  test("kill -9 mid-run, then --resume, reproduces the uninterrupted run exactly", async () => {
    const runDir = join(dir, "b");
    const child = spawn(process.execPath, [WZ, "train", cfgPath, "--output", runDir], { stdio: "ignore" });
    // Kill as soon as the first step has committed: somewhere inside step 2.
    const db = join(runDir, "run.sqlite");
    await waitWhileRunning(child, () => committedSteps(runDir) >= 1, "the first step committed");
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const partial = new RunStore(db, { readonly: true });
    const done = partial.lastCompletedStep();
    partial.close();
    assert.ok(done < 4, "the run finished before it could be killed; the test proves nothing");

    const r = await runWz(["train", "--resume", runDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /resumed after step/);
    const a = snapshot(join(dir, "a"));
    const b = snapshot(runDir);
    assert.deepEqual(b.steps, a.steps);
    assert.deepEqual(b.refs, a.refs);
    assert.deepEqual(b.rollouts, a.rollouts);
    assert.ok(b.weights.equals(a.weights), "final weights differ");
  });

  test("a finished run refuses to be overwritten, and bad inputs fail before any work", async () => {
    const again = await runWz(["train", cfgPath, "--output", join(dir, "a")]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds a run \(5 steps\); use --resume/);

    // Without --output, the config's folder is kept and the new run goes to the next free name.
    const auto = join(dir, "auto.yaml");
    writeFileSync(auto, config(`output: ${join(dir, "a")}`).replace("train: {steps: 5", "train: {steps: 1"));
    const next = await runWz(["train", auto]);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /already holds a run; this one goes to .*a-2/);
    assert.ok(existsSync(join(dir, "a-2", "final", "model.safetensors")));

    const precious = join(dir, "precious");
    mkdirSync(precious);
    writeFileSync(join(precious, "notes.txt"), "keep me");
    const notRun = await runWz(["train", cfgPath, "--output", precious]);
    assert.equal(notRun.code, 2);
    assert.match(notRun.stderr, /exists and is not an unfinished run of wz train/);
    assert.ok(existsSync(join(precious, "notes.txt")));

    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "train:\n  stepz: 3\n  lr: fast\n");
    const r1 = await runWz(["train", bad]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /train: unknown key\(s\) "stepz"/);
    assert.match(r1.stderr, /train\.lr: Invalid input: expected number/);

    writeFileSync(bad, "model: {init: /nonexistent/model}\n");
    const r2 = await runWz(["train", bad, "--output", join(dir, "c")]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /model\.init: \/nonexistent\/model does not exist/);

    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "\n");
    writeFileSync(bad, `data: {prompts: ${empty}}\n`);
    const r3 = await runWz(["train", bad, "--output", join(dir, "c")]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /no prompts/);

    writeFileSync(bad, "judge: {kind: genrm, base_url: 'http://127.0.0.1:9', model: m}\n");
    const r4 = await runWz(["train", bad, "--output", join(dir, "c")]);
    assert.equal(r4.code, 2);
    assert.match(r4.stderr, /judge server http:\/\/127\.0\.0\.1:9 is not reachable/);
    assert.ok(!existsSync(join(dir, "c", "run.sqlite")), "no run may start when the judge is down");
  });
});

describe("wz train: Ctrl-C, scalar baselines, runs and show", () => {
  test("SIGINT stops cleanly after the current step; --resume finishes the run", async () => {
    const runDir = join(dir, "int");
    const child = spawn(process.execPath, [WZ, "train", cfgPath, "--output", runDir, "--steps", "12"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    await waitWhileRunning(child, () => /step 1\/12/.test(stderr), "step 1 was logged", {
      output: () => stderr,
    });
    child.kill("SIGINT");
    const code = await new Promise((r) => child.on("exit", r));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /stopped after step \d+; continue with: wz train --resume/);
    const store = new RunStore(join(runDir, "run.sqlite"), { readonly: true });
    assert.equal(store.getMeta("status"), "stopped");
    assert.ok(store.lastCompletedStep() < 11);
    store.close();
    const r = await runWz(["train", "--resume", runDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /step 12\/12/);
  });

  test("the same loop runs GRPO on the rule-based judge's scalar scores", async () => {
    const grpo = join(dir, "grpo.yaml");
    writeFileSync(grpo, config("estimator: {name: grpo}").replace("train: {steps: 5", "train: {steps: 2"));
    const r = await runWz(["train", grpo, "--output", join(dir, "grpo")]);
    assert.equal(r.code, 0, r.stderr);
    const store = new RunStore(join(dir, "grpo", "run.sqlite"), { readonly: true });
    const rollouts = store.rollouts(0);
    assert.ok(rollouts.every((x) => x.reward !== null));
    // GRPO advantages are z-scores of the rewards within each group.
    for (const g of [0, 1]) {
      const mine = rollouts.filter((x) => x.group === g);
      const sum = mine.reduce((s, x) => s + x.advantage, 0);
      assert.ok(Math.abs(sum) < 1e-6);
    }
    assert.equal(store.comparisons(0).length, 0);
    store.close();
  });

  test("wz runs lists runs; wz show prints a step with its reference and advantages", async () => {
    const list = await runWz(["runs", dir]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /a\s+completed\s+5\/5\s+brpo\s+rules/);
    const show = await runWz(["show", join(dir, "a"), "--step", "2", "--samples", "2"]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /step 2\/5/);
    assert.match(show.stdout, /win_rate_vs_reference/);
    assert.match(show.stdout, /\[REF\]/);
    const bad = await runWz(["show", join(dir, "a"), "--step", "9"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--step: expected an integer >= 1 and <= 5, got "9"/);
  });
});

describe("wz train with LoRA", () => {
  test("trains adapters on a frozen base, syncs them to llama.cpp, and saves PEFT and merged models", async () => {
    const cfg = join(dir, "lora.yaml");
    writeFileSync(
      cfg,
      config()
        .replace(
          "train: {steps: 5, lr: 0.001, checkpoint_every: 2}",
          "train: {steps: 3, lr: 0.01, checkpoint_every: 2}",
        )
        .replace("  tiny:", "  lora: {rank: 4, alpha: 8}\n  tiny:"),
    );
    const runDir = join(dir, "lora");
    const r = await runWz(["train", cfg, "--output", runDir]);
    assert.equal(r.code, 0, r.stderr);
    const initial = readFileSync(join(runDir, "checkpoints", "initial", "model.safetensors"));
    // The base saved with the adapters is the initial model, bit for bit.
    assert.ok(readFileSync(join(runDir, "checkpoints", "step-2", "model.safetensors")).equals(initial));
    assert.ok(existsSync(join(runDir, "checkpoints", "step-2-adapter", "adapter_model.safetensors")));
    assert.ok(existsSync(join(runDir, "final-adapter", "adapter_config.json")));
    // The merged final model differs from the base: the adapters learned something.
    assert.ok(!readFileSync(join(runDir, "final", "model.safetensors")).equals(initial));
    const store = new RunStore(join(runDir, "run.sqlite"), { readonly: true });
    const m = store.stepMetrics();
    assert.equal(m[0].metrics.kl_to_initial, 0); // B = 0 at init: step 1 samples from the base
    assert.ok((m[2].metrics.kl_to_initial as number) > 0);
    store.close();
  });
});

describe("wz train on a prompt file", () => {
  test("holds the last eval_count prompts out of training for the final evaluation", async () => {
    const prompts = join(dir, "prompts.jsonl");
    writeFileSync(
      prompts,
      Array.from({ length: 10 }, (_, i) =>
        JSON.stringify({ id: `p${i}`, prompt: `Write a note about the river. Include the word lamp${i}.` }),
      ).join("\n"),
    );
    const cfg = join(dir, "file.yaml");
    writeFileSync(
      cfg,
      config()
        .replace(
          "data: {prompts: tiny, train_count: 8, eval_count: 3}",
          `data: {prompts: ${prompts}, eval_count: 3}`,
        )
        .replace("train: {steps: 5", "train: {steps: 1"),
    );
    const r = await runWz(["train", cfg, "--output", join(dir, "file")]);
    assert.equal(r.code, 0, r.stderr);
    const db = new Database(join(dir, "file", "run.sqlite"), { readonly: true });
    const rows = db.prepare("SELECT id, split FROM prompts ORDER BY id").all() as {
      id: string;
      split: string;
    }[];
    db.close();
    assert.deepEqual(
      rows.filter((x) => x.split === "eval").map((x) => x.id),
      ["p7", "p8", "p9"],
    );
    assert.equal(rows.filter((x) => x.split === "train").length, 7);
  });
});
