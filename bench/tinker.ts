// npm run bench:tinker: what the Tinker API costs over our engine. One batch the size of a main-job
// BRPO step (64 sequences of 48 tokens on the main job's policy shape, every weight trained),
// forward_backward + optim_step, timed in one run:
//   engine      the server's own training model, in-process (packed forward/backward, AdamW)
//   api (ts)    the same through `wz tinker`'s HTTP routes on loopback: protobuf, futures, polling
//   api (sdk)   the same from the official Python SDK, when .venv has it
//   wz train    policyUpdate on the same batch (it also runs the frozen reference's forward pass)
// and prints tokens/s with the API's cost as a ratio to the engine row.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { saveModelFolder } from "../src/model/checkpoint.ts";
import { DecoderModel } from "../src/model/decoder.ts";
import { selectKernel } from "../src/model/kernels/select.ts";
import { mulberry32 } from "../src/model/random.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../src/model/tokenizer/tokenizer.ts";
import { groupOf, Trainer } from "../src/model/trainer.ts";
import { policyUpdate } from "../src/rl/update.ts";
import { createTinkerService } from "../src/tinker/app.ts";
import { type Datum, encodeForwardBackwardRequest } from "../src/tinker/messages.ts";
import { LORA_ALPHA, loraTargets, TrainingModel } from "../src/tinker/training-model.ts";
import { makeCorpus } from "../src/world/constrained-writing.ts";

function spawnAsync(
  cmd: string,
  args: string[],
  _options: unknown,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

const SEQS = 64;
const LEN = 48;
const ITERS = Number(process.env.BENCH_ITERS ?? 10);
const kernel = await selectKernel(process.env.WZ_KERNEL ?? "auto");

const dir = mkdtempSync(join(tmpdir(), "wz-bench-tinker-"));
const bpe = trainBpe(
  makeCorpus(400, 5).map((e) => `${e.prompt}\n${e.response}`),
  900,
);
const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
const cfg = {
  vocabSize: tokenizer.vocabSize,
  hiddenSize: 128,
  numLayers: 2,
  numHeads: 4,
  numKVHeads: 2,
  headDim: 32,
  intermediateSize: 384,
  rmsNormEps: 1e-6,
  ropeTheta: 1_000_000,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 256,
  bosTokenId: null,
  eosTokenId: tokenizer.eosId,
};
saveModelFolder(join(dir, "policy"), DecoderModel.random(cfg, 3), tokenizer);

const r = mulberry32(1);
const batch = Array.from({ length: SEQS }, () =>
  Array.from({ length: LEN + 1 }, () => Math.floor(r() * cfg.vocabSize)),
);
const advantages = batch.map(() => Array.from({ length: LEN }, () => (r() < 0.5 ? -1 : 1)));
const data: Datum[] = batch.map((seq, i) => ({
  tokens: seq.slice(0, -1),
  inputs: new Map([
    ["target_tokens", { dtype: "int64" as const, shape: [LEN], data: Float64Array.from(seq.slice(1)) }],
    ["logprobs", { dtype: "float32" as const, shape: [LEN], data: new Float64Array(LEN).fill(-6.8) }],
    ["advantages", { dtype: "float32" as const, shape: [LEN], data: Float64Array.from(advantages[i]) }],
  ]),
}));
const adam = { learning_rate: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0, grad_clip_norm: 1 };
const tokens = SEQS * LEN;

async function timed(name: string, step: () => Promise<void> | void): Promise<number> {
  await step(); // warm-up: workspaces, JIT
  const t0 = performance.now();
  for (let i = 0; i < ITERS; i++) await step();
  const s = (performance.now() - t0) / 1000;
  const rate = (tokens * ITERS) / s;
  console.log(
    `${name.padEnd(12)} ${rate.toFixed(0).padStart(8)} tokens/s  (${((s / ITERS) * 1000).toFixed(0)} ms a step)`,
  );
  return rate;
}

console.log(`bench:tinker: ${SEQS} x ${LEN} tokens a step, ${ITERS} steps, kernel ${kernel.name}`);

// engine: the server's training model, called directly.
const direct = new TrainingModel("bench", "policy", DecoderModel.random(cfg, 3, "f32", kernel), null);
const engine = await timed("engine", () => {
  direct.forwardBackward({
    modelId: "bench",
    seqId: 0,
    lossFn: "importance_sampling",
    config: {},
    forwardOnly: false,
    data,
  });
  direct.optimStep(adam);
});

// api (ts): the HTTP routes on loopback, as a client drives them.
const service = createTinkerService({
  bases: [{ name: "policy", path: join(dir, "policy") }],
  stateDir: dir,
  kernel,
  longPollMs: 1000,
});
const server = serve({ fetch: service.app.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise<void>((res) => server.once("listening", () => res()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
const post = async (path: string, body: unknown, proto = false) => {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": proto ? "application/x-protobuf" : "application/json" },
    body: proto ? (body as Uint8Array) : JSON.stringify(body),
  });
  return res;
};
const result = async (res: Response) => {
  const { request_id } = (await res.json()) as { request_id: string };
  for (;;) {
    const r2 = await post("/retrieve_future", { request_id });
    if ((r2.headers.get("content-type") ?? "").includes("protobuf")) return r2.arrayBuffer();
    const j = (await r2.json()) as { type?: string; error?: string };
    if (j.error) throw new Error(j.error);
    if (j.type !== "try_again") return j;
  }
};
const { session_id } = (await (await post("/create_session", { tags: [], sdk_version: "bench" })).json()) as {
  session_id: string;
};
const created = (await result(
  await post("/create_model", { session_id, model_seq_id: 0, base_model: "policy" }),
)) as {
  model_id: string;
};
let seq = 0;
const api = await timed("api (ts)", async () => {
  const body = encodeForwardBackwardRequest({
    modelId: created.model_id,
    seqId: ++seq,
    lossFn: "importance_sampling",
    config: {},
    forwardOnly: false,
    data,
  });
  await result(await post("/forward_backward", body, true));
  await result(await post("/optim_step", { model_id: created.model_id, seq_id: ++seq, adam_params: adam }));
});

// api (sdk): the official client, when the project's Python environment has it.
let sdk: number | null = null;
let sdkEngine = 0;
const py = process.env.WZ_PYTHON ?? ".venv/bin/python";
if (existsSync(py)) {
  // The SDK's public helpers create LoRA models only: its row trains LoRA rank 8 on every
  // projection and the unembedding, against the engine doing the same in-process.
  const sdkScript = `
import json, sys, time, os
os.environ["TINKER_TELEMETRY"] = "0"
import numpy as np, tinker
from tinker import types
batch = json.load(open(sys.argv[2]))
sc = tinker.ServiceClient(base_url=sys.argv[1], api_key="tml-bench")
tc = sc.create_lora_training_client(base_model="policy", rank=8, seed=0).result()
data = [types.Datum(model_input=types.ModelInput.from_ints(s[:-1]), loss_fn_inputs={
  "target_tokens": np.array(s[1:], dtype=np.int64), "logprobs": np.full(len(s) - 1, -6.8, dtype=np.float32),
  "advantages": np.array(a, dtype=np.float32)}) for s, a in zip(batch["seqs"], batch["adv"])]
adam = types.AdamParams(learning_rate=1e-4, beta1=0.9, beta2=0.95, eps=1e-8, grad_clip_norm=1.0)
def step():
    f = tc.forward_backward(data, "importance_sampling"); o = tc.optim_step(adam); f.result(); o.result()
step()
t0 = time.time()
for _ in range(int(sys.argv[3])): step()
print(time.time() - t0)
`;
  writeFileSync(join(dir, "batch.json"), JSON.stringify({ seqs: batch, adv: advantages }));
  // Asynchronously: the server answering the SDK lives in this process's event loop.
  const run = await spawnAsync(
    py,
    ["-c", sdkScript, url.replace(/\/api\/v1$/, ""), join(dir, "batch.json"), String(ITERS)],
    {
      encoding: "utf8",
    },
  );
  if (run.status === 0) {
    const s = Number(run.stdout.trim().split("\n").at(-1));
    sdk = (tokens * ITERS) / s;
    console.log(
      `${"api (sdk)".padEnd(12)} ${sdk.toFixed(0).padStart(8)} tokens/s  (${((s / ITERS) * 1000).toFixed(0)} ms a step; LoRA rank 8)`,
    );
    const lora = DecoderModel.random(cfg, 3, "f32", kernel);
    lora.attachLora(
      {
        rank: 8,
        alpha: LORA_ALPHA,
        targets: loraTargets({ rank: 8, seed: 0, trainMlp: true, trainAttn: true, trainUnembed: true }),
      },
      0,
    );
    const direct8 = new TrainingModel("bench8", "policy", lora, null);
    sdkEngine = await timed("engine lora8", () => {
      direct8.forwardBackward({
        modelId: "bench8",
        seqId: 0,
        lossFn: "importance_sampling",
        config: {},
        forwardOnly: false,
        data,
      });
      direct8.optimStep(adam);
    });
  } else console.log(`api (sdk)    skipped: ${run.stderr.trim().split("\n").at(-1)}`);
}
server.close();
await service.close();

// wz train's update on the same batch (klCoef 0; it still runs the reference's forward pass).
const policy = DecoderModel.random(cfg, 3, "f32", kernel);
const reference = DecoderModel.random(cfg, 3, "f32", kernel);
const trainer = new Trainer([groupOf(policy.trainable())], {
  lr: 1e-4,
  weightDecay: 0,
  schedule: { kind: "constant" },
  gradClip: 1,
});
const items = batch.map((seq, i) => ({
  sequence: { tokens: seq, promptLength: 1 },
  advantage: advantages[i][0],
  rollout: {
    group: 0,
    member: i,
    promptTokens: seq.slice(0, 1),
    responseTokens: seq.slice(1),
    text: "",
    finishReason: "length",
  },
}));
const update = await timed("wz train", () => {
  policyUpdate(policy, reference, trainer, items, {
    lr: 1e-4,
    epochs: 1,
    minibatches: 1,
    clipLow: 0.2,
    clipHigh: 0.28,
    klCoef: 0,
    packMiB: 256,
    random: mulberry32(2),
  });
});

console.log(
  `\nbench:tinker: the API costs ${((engine / api - 1) * 100).toFixed(1)} % over the engine (api (ts) / engine = ${(api / engine).toFixed(3)}); ` +
    `wz train's update runs at ${(update / engine).toFixed(2)}x the engine row (it adds the reference's forward pass)` +
    (sdk
      ? `; the Python SDK costs ${((sdkEngine / sdk - 1) * 100).toFixed(1)} % over the engine with the same LoRA`
      : ""),
);
