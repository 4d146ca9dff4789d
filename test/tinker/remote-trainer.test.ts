// `wz train` with `trainer: {kind: tinker}`: the policy trains and samples on `wz tinker` over
// loopback while the judge, BRPO, the store and the evaluation stay local. Same seed, same base:
// the remote run's rollouts and advantages equal the local run's, its losses, KL to the initial
// policy (the updated weights' log-probabilities) and gradient norms agree within 1e-5, and so do
// the log-probabilities of the final weights; a run killed mid-way resumes from the store to the
// uninterrupted remote run; a model the service does not serve stops the run with its words.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { loadModelFolder } from "../../src/model/checkpoint.ts";
import { RunStore } from "../../src/store/run-store.ts";
import { TinkerClient } from "../../src/tinker/client.ts";
import { runWz, startWz, WZ, type WzServer } from "../helpers/cli.ts";
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

/** The tinker:// state a run saved after its last step. */
const lastState = (runDir: string) =>
  (
    JSON.parse(readFileSync(join(runDir, "checkpoints", `step-${STEPS}.tinker.json`), "utf8")) as {
      state: { path: string };
    }
  ).state.path;

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
    assert.ok(!existsSync(join(dir, "remote", "final")), "a remote run has no local final weights");
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

    // The final weights: the local final model against the service's last saved state, on the
    // last step's sequences.
    const { model, tokenizer } = loadModelFolder(join(dir, "local", "final"));
    const client = new TinkerClient({ baseUrl: server.url });
    const remote = await client.createModel(await client.createSession(), 0, "tiny", null);
    await remote.loadState(lastState(join(dir, "remote")), false);
    const store = new RunStore(join(dir, "local", "run.sqlite"), { readonly: true });
    const texts = store.rollouts(STEPS - 1).map((r) => r.text);
    store.close();
    const seqs = texts.map((t) => tokenizer!.encode(`User: ${t}`));
    const out = await remote.forward(
      seqs.map((s) => ({
        tokens: s.slice(0, -1),
        inputs: new Map([
          [
            "target_tokens",
            { dtype: "int64" as const, shape: [s.length - 1], data: Float64Array.from(s.slice(1)) },
          ],
          [
            "weights",
            { dtype: "float32" as const, shape: [s.length - 1], data: new Float64Array(s.length - 1) },
          ],
        ]),
      })),
    );
    let compared = 0;
    seqs.forEach((s, i) => {
      const { logprobs } = model.forward(s.slice(0, -1), s.slice(1), false);
      for (let t = 0; t < logprobs.length; t++) {
        close(logprobs[t], out.outputs[i].logprobs[t], `final logprob ${i}:${t}`);
        compared++;
      }
    });
    assert.ok(compared > 20);
  });

  test("a remote run killed mid-way resumes from its store to the uninterrupted remote run", async () => {
    const runDir = join(dir, "killed");
    const child = spawn(process.execPath, [WZ, "train", remoteCfg, "--output", runDir], { stdio: "ignore" });
    const db = join(runDir, "run.sqlite");
    const committed = () => {
      if (!existsSync(db)) return 0;
      let conn: Database.Database | undefined;
      try {
        conn = new Database(db, { readonly: true, fileMustExist: true });
        return (conn.prepare("SELECT COUNT(*) AS n FROM steps").get() as { n: number }).n;
      } catch (e) {
        if (!/no such table|database is locked|SQLITE_BUSY/i.test((e as Error).message)) throw e;
        return 0;
      } finally {
        conn?.close();
      }
    };
    await waitWhileRunning(child, () => committed() >= 1, "the first step committed");
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const partial = new RunStore(db, { readonly: true });
    const done = partial.lastCompletedStep();
    partial.close();
    assert.ok(done < STEPS - 1, "the run finished before it could be killed; the test proves nothing");

    const r = await runWz(["train", "--resume", runDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /remote trainer: loaded tinker:\/\/\S+ with its optimizer/);
    const a = snapshot(join(dir, "remote"));
    const b = snapshot(runDir);
    assert.deepEqual(b.refs, a.refs);
    assert.deepEqual(b.rollouts, a.rollouts);
    for (let s = 0; s < STEPS; s++) close(a.metrics[s].loss, b.metrics[s].loss, `step ${s + 1} loss`);
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
