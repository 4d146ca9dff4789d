// `wz train` with `trainer: {kind: tinker}`: the policy trains and samples on `wz tinker` over
// loopback while the judge, BRPO, the store and the evaluation stay local. Same seed, same base:
// the remote run's rollouts and advantages equal the local run's, its losses, KL to the initial
// policy (the updated weights' log-probabilities) and gradient norms agree within 1e-5, and so do
// the final weights, downloaded through the service's signed URLs; a run killed mid-way resumes
// from the store to the uninterrupted remote run; a model the service does not serve stops the
// run with its words.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import { importGguf } from "../../src/model/gguf-import.ts";
import { decodeSafetensors } from "../../src/model/safetensors.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { runWz, startWz, WZ, type WzServer } from "../helpers/cli.ts";
import { committedSteps } from "../helpers/committed.ts";
import { waitWhileRunning } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "wz-remote-"));
const STEPS = 4;
const config = (extra = "") => `seed: 5
model:
  init: tiny
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 15, batch_size: 8, lr: 0.004}
data: {prompts: tiny, train_count: 24, eval_count: 3}
judge: {kind: rules}
rollout: {group_size: 4, prompts_per_step: 6, max_tokens: 16, dynamic_sampling: true}
train: {steps: ${STEPS}, lr: 0.002, checkpoint_every: 2, kl_coef: 0.1}
eval: {samples_per_prompt: 1}
${extra}`;

function snapshot(runDir: string) {
  const store = new RunStore(join(runDir, "run.sqlite"), { readonly: true });
  const metrics = store.stepMetrics().map((s) => s.metrics);
  const rollouts = metrics.map((_, s) =>
    store.rollouts(s).map((r) => [r.group, r.member, r.text, r.advantage]),
  );
  const refs = metrics.map((_, s) => store.groups(s).map((g) => g.referenceIndices));
  store.close();
  return { metrics, rollouts, refs };
}

const close = (a: number | null, b: number | null, what: string) => {
  assert.ok(a !== null && b !== null, `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a)), `${what}: local ${a}, remote ${b}`);
};

describe("wz train on a remote Tinker trainer (wz tinker on loopback)", () => {
  let server: WzServer;
  let remoteCfg: string;
  before(async () => {
    const localCfg = join(dir, "local.yaml");
    writeFileSync(localCfg, config());
    const local = await runWz(["train", localCfg, "--output", join(dir, "local")]);
    assert.equal(local.code, 0, local.stderr);
    // the service serves the very base the local run started from
    server = await startWz([
      "tinker",
      "--model",
      `tiny=${join(dir, "local", "checkpoints", "initial")}`,
      "--state",
      join(dir, "service"),
    ]);
    remoteCfg = join(dir, "remote.yaml");
    writeFileSync(remoteCfg, config(`trainer: {kind: tinker, base_url: '${server.url}', model: tiny}`));
  });
  after(() => server?.stop());

  test("the first steps equal a local run's: rollouts, advantages, losses, log-probabilities", async () => {
    const r = await runWz(["train", remoteCfg, "--output", join(dir, "remote")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /policy trainer: the Tinker service at http:\/\/127\.0\.0\.1:\d+ \(model tiny, full weights\)/,
    );
    assert.match(r.stdout, /final vs initial policy on 3 held-out prompts/);
    assert.match(r.stderr, /remote trainer: downloading tinker:\/\/\S+\/external_weights\/\S+ into/);
    const a = snapshot(join(dir, "local"));
    const b = snapshot(join(dir, "remote"));
    assert.equal(b.metrics.length, STEPS);
    assert.deepEqual(b.refs, a.refs);
    assert.deepEqual(b.rollouts, a.rollouts);
    let trained = 0;
    for (let s = 0; s < STEPS; s++) {
      for (const k of ["loss", "kl_to_initial", "grad_norm", "clip_fraction"] as const)
        if (a.metrics[s].trained_sequences! > 0)
          close(a.metrics[s][k], b.metrics[s][k], `step ${s + 1} ${k}`);
      if (a.metrics[s].trained_sequences! > 0) trained++;
    }
    // not vacuous: several steps trained, and the later ones saw weights that had moved
    assert.ok(trained >= 2, `only ${trained} step(s) trained`);
    assert.ok(a.metrics[STEPS - 1].kl_to_initial! > 1e-4, "the policy never moved from its initial weights");

    // The final weights, downloaded from the service (save_weights_external, signed URLs) into
    // final/, against the local run's final/: every weight within 1e-5.
    const tensorsOf = (run: string) =>
      decodeSafetensors(readFileSync(join(dir, run, "final", "model.safetensors")), run);
    const local = tensorsOf("local");
    const remote = tensorsOf("remote");
    assert.deepEqual([...remote.keys()].sort(), [...local.keys()].sort());
    let moved = 0;
    const initial = decodeSafetensors(
      readFileSync(join(dir, "local", "checkpoints", "initial", "model.safetensors")),
      "initial",
    );
    for (const [name, t] of local) {
      const u = remote.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) {
        close(t.data[i], u[i], `final ${name}[${i}]`);
        moved = Math.max(moved, Math.abs(t.data[i] - initial.get(name)!.data[i]));
      }
    }
    assert.ok(moved > 1e-4, "the final weights never moved");
  });

  test("LoRA on the service (the hosted service's only kind): trains, and its merged weights come home", async () => {
    const cfg = join(dir, "remote-lora.yaml");
    writeFileSync(
      cfg,
      config(`trainer: {kind: tinker, base_url: '${server.url}', model: tiny, lora_rank: 4}`),
    );
    const r = await runWz(["train", cfg, "--output", join(dir, "remote-lora")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\(model tiny, LoRA rank 4\)/);
    const a = snapshot(join(dir, "local"));
    const b = snapshot(join(dir, "remote-lora"));
    // B = 0 at the start: the first step samples the base, exactly as the local run did
    assert.deepEqual(b.rollouts[0], a.rollouts[0]);
    close(a.metrics[0].loss, b.metrics[0].loss, "step 1 loss");
    assert.ok(b.metrics[STEPS - 1].kl_to_initial! > 1e-5, "the LoRA policy never moved");
    // final/ is the merged model: loadable here, and not the initial weights
    const final = decodeSafetensors(
      readFileSync(join(dir, "remote-lora", "final", "model.safetensors")),
      "final",
    );
    const initial = decodeSafetensors(
      readFileSync(join(dir, "local", "checkpoints", "initial", "model.safetensors")),
      "initial",
    );
    let moved = 0;
    for (const [name, t] of final) {
      const i0 = initial.get(name);
      if (i0)
        for (let i = 0; i < t.data.length; i++) moved = Math.max(moved, Math.abs(t.data[i] - i0.data[i]));
    }
    assert.ok(moved > 1e-5, "the downloaded LoRA policy is the initial model");
  });

  test("a remote run killed mid-way resumes from its store to the uninterrupted remote run", async () => {
    const runDir = join(dir, "killed");
    // this run keeps its final weights on the service and is evaluated through its sampler
    const noDownload = join(dir, "remote-no-download.yaml");
    writeFileSync(
      noDownload,
      config(`trainer: {kind: tinker, base_url: '${server.url}', model: tiny, download: false}`),
    );
    const child = spawn(process.execPath, [WZ, "train", noDownload, "--output", runDir], { stdio: "ignore" });
    const db = join(runDir, "run.sqlite");
    await waitWhileRunning(child, () => committedSteps(runDir) >= 1, "the first step committed");
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const partial = new RunStore(db, { readonly: true });
    const done = partial.lastCompletedStep();
    partial.close();
    assert.ok(done < STEPS - 1, "the run finished before it could be killed; the test proves nothing");

    const r = await runWz(["train", "--resume", runDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /remote trainer: loaded tinker:\/\/\S+ with its optimizer/);
    assert.ok(!existsSync(join(runDir, "final")), "download: false keeps the final weights on the service");
    assert.match(r.stdout, /final vs initial policy on 3 held-out prompts/);
    assert.match(
      r.stdout,
      /the final weights stay on the service: \S+step-4\.tinker\.json holds their tinker:\/\/ paths/,
    );
    const a = snapshot(join(dir, "remote"));
    const b = snapshot(runDir);
    assert.deepEqual(b.refs, a.refs);
    assert.deepEqual(b.rollouts, a.rollouts);
    for (let s = 0; s < STEPS; s++) close(a.metrics[s].loss, b.metrics[s].loss, `step ${s + 1} loss`);
  });

  test("a service killed mid-run stops the run; restarted on its state elsewhere, --resume --trainer-url finishes it as if nothing happened", async () => {
    const args = [
      "tinker",
      "--model",
      `tiny=${join(dir, "local", "checkpoints", "initial")}`,
      "--state",
      join(dir, "service-2"),
    ];
    const first = await startWz(args);
    const cfg = join(dir, "remote-restart.yaml");
    writeFileSync(cfg, config(`trainer: {kind: tinker, base_url: '${first.url}', model: tiny}`));
    const runDir = join(dir, "service-killed");
    const run = spawn(process.execPath, [WZ, "train", cfg, "--output", runDir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    run.stderr!.on("data", (d) => (stderr += d));
    await waitWhileRunning(run, () => /step 1\/4/.test(stderr), "step 1 logged", { output: () => stderr });
    first.process.kill("SIGKILL");
    const code = await new Promise<number | null>((r) => run.on("exit", r));
    assert.notEqual(code, 0, "the run went on without its service");
    assert.match(stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED|is unknown here/);
    const partial = new RunStore(join(runDir, "run.sqlite"), { readonly: true });
    const done = partial.lastCompletedStep();
    partial.close();
    assert.ok(done >= 0 && done < STEPS - 1, `the run had committed ${done + 1} steps`);

    // the service comes back on its state folder, at another port
    const second = await startWz(args);
    try {
      assert.notEqual(second.url, first.url);
      const local = await runWz(["train", "--resume", join(dir, "local"), "--trainer-url", second.url]);
      assert.equal(local.code, 2);
      assert.match(local.stderr, /--trainer-url: the run in .* trains on the embedded engine/);
      const r = await runWz(["train", "--resume", runDir, "--trainer-url", second.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`trainer\\.base_url: ${first.url} -> ${second.url}`));
      assert.match(r.stderr, /remote trainer: loaded tinker:\/\/\S+ with its optimizer/);
    } finally {
      second.stop();
    }
    const a = snapshot(join(dir, "remote"));
    const b = snapshot(runDir);
    assert.deepEqual(b.refs, a.refs);
    assert.deepEqual(b.rollouts, a.rollouts);
    for (let s = 0; s < STEPS; s++) close(a.metrics[s].loss, b.metrics[s].loss, `step ${s + 1} loss`);
  });

  test("wz genrm train on the service: SFT equals the embedded SFT, and the RLVR judge comes home as judge.gguf", async () => {
    const genrm = (extra = "") => `seed: 2
model: {init: ${join(dir, "local", "checkpoints", "initial")}}
data: {pairs: tiny, train_count: 40, rl_count: 10, eval_count: 6, splits: [pretrain, train], minimal_share: 0.5}
sft: {steps: 10, batch_size: 4}
rl:
  rollout: {group_size: 4, prompts_per_step: 4, max_tokens: 48}
  train: {steps: 2}
eval: {max_tokens: 48, sft_only: false}
${extra}`;
    const localCfg = join(dir, "genrm-local.yaml");
    writeFileSync(localCfg, genrm());
    const remoteGenrm = join(dir, "genrm-remote.yaml");
    writeFileSync(remoteGenrm, genrm(`trainer: {kind: tinker, base_url: '${server.url}', model: tiny}`));
    const a = await runWz(["genrm", "train", localCfg, "--output", join(dir, "genrm-a")]);
    assert.equal(a.code, 0, a.stderr);
    const b = await runWz(["genrm", "train", remoteGenrm, "--output", join(dir, "genrm-b")]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /SFT judge on the service: tinker:\/\/\S+\/weights\/sft/);
    assert.match(b.stderr, /RLVR policy trainer: the Tinker service at/);
    assert.match(b.stdout, /accuracy \(right under both orders\)/);
    // The SFT judge trained over the API equals the embedded one: same batches, same gradient.
    const tensors = (run: string, folder: string) =>
      decodeSafetensors(readFileSync(join(dir, run, folder, "model.safetensors")), run);
    const sftA = tensors("genrm-a", "sft");
    const sftB = tensors("genrm-b", "sft");
    const base = decodeSafetensors(
      readFileSync(join(dir, "local", "checkpoints", "initial", "model.safetensors")),
      "base",
    );
    let moved = 0;
    for (const [name, t] of sftA) {
      const u = sftB.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) {
        close(t.data[i], u[i], `SFT ${name}[${i}]`);
        moved = Math.max(moved, Math.abs(t.data[i] - base.get(name)!.data[i]));
      }
    }
    assert.ok(moved > 1e-3, "SFT never moved the weights");
    // RLVR's first step sampled the same judgments from the same SFT judge. The two samplers run
    // on two exports of weights equal to 1e-5 (here and on the service), so a draw that falls on a
    // rounding boundary of the token distribution can pick a neighbouring token: allowed once in
    // a step (seen once, at one character of one of 48 samples, when the pairs changed), with
    // the same seeded draws the sample around it stays the same length
    const first = (run: string) => {
      const store = new RunStore(join(dir, run, "rl", "run.sqlite"), { readonly: true });
      const rows = store.rollouts(0).map((r) => ({ text: r.text, advantage: r.advantage }));
      store.close();
      return rows;
    };
    const [ra, rb] = [first("genrm-a"), first("genrm-b")];
    assert.equal(rb.length, ra.length);
    assert.ok(ra.length >= 16, `${ra.length} rollouts`);
    const differ = ra.filter((x, i) => x.text !== rb[i].text);
    assert.ok(differ.length <= 1, `${differ.length} of ${ra.length} samples differ`);
    ra.forEach((x, i) => {
      if (x.text === rb[i].text) assert.equal(rb[i].advantage, x.advantage, `rollout ${i}`);
      else
        assert.ok(
          Math.abs(x.text.length - rb[i].text.length) <= 2,
          `rollout ${i}: ${x.text} | ${rb[i].text}`,
        );
    });
    // judge.gguf holds the downloaded RLVR judge: the same weights as final/
    const judge = importGguf(join(dir, "genrm-b", "judge.gguf")).model;
    const final = loadModelFolder(join(dir, "genrm-b", "final")).model;
    assert.deepEqual(Array.from(judge.trainable().params.data), Array.from(final.trainable().params.data));
  });

  test("a model the service does not serve, or a local-only option, stops the run with a clear message", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, config(`trainer: {kind: tinker, base_url: '${server.url}', model: nosuch}`));
    const r = await runWz(["train", bad, "--output", join(dir, "bad")]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /create_model refused \(HTTP 400\): base_model "nosuch" is not served here \(serving: tiny\)/,
    );

    writeFileSync(
      bad,
      config(`trainer: {kind: tinker, base_url: '${server.url}', model: tiny}`).replace(
        "dynamic_sampling: true}",
        "dynamic_sampling: true, sampler_weights: q8_0}",
      ),
    );
    const q = await runWz(["train", bad, "--output", join(dir, "bad2")]);
    assert.equal(q.code, 2, q.stderr);
    assert.match(q.stderr, /trainer\.kind tinker: rollout\.sampler_weights .* is the local trainer's option/);

    // a port that was free a moment ago: nothing listens there
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    writeFileSync(bad, config(`trainer: {kind: tinker, base_url: 'http://127.0.0.1:${port}', model: tiny}`));
    const down = await runWz(["train", bad, "--output", join(dir, "bad3")]);
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });
});
