// The protobuf messages we write, read back by the official SDK's own generated code
// (tinker/proto/tinker_public_pb2.py) and by our reader: a request a TypeScript client sends, and
// the server's output a client decodes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  decodeForwardBackwardOutput,
  decodeForwardBackwardRequest,
  encodeForwardBackwardOutput,
  encodeForwardBackwardRequest,
  type ForwardBackwardRequest,
} from "../../src/tinker/messages.ts";
import { projectPython } from "../helpers/python.ts";

const python = projectPython(["tinker"]);

const request: ForwardBackwardRequest = {
  modelId: "session-1:train:0",
  seqId: 7,
  lossFn: "ppo",
  config: { clip_low_threshold: 0.7, clip_high_threshold: 1.3 },
  forwardOnly: false,
  data: [
    {
      tokens: [5, 300, 2],
      inputs: new Map([
        ["target_tokens", { dtype: "int64", shape: [3], data: Float64Array.from([300, 2, 9]) }],
        ["advantages", { dtype: "float32", shape: [3], data: Float64Array.from([0.5, -1, 0.25]) }],
      ]),
    },
    {
      tokens: [70000],
      inputs: new Map([["target_tokens", { dtype: "int64", shape: [1], data: Float64Array.from([1]) }]]),
    },
  ],
};

test("a request we encode reads back the same, through our reader", () => {
  const back = decodeForwardBackwardRequest(encodeForwardBackwardRequest(request));
  assert.equal(back.modelId, request.modelId);
  assert.equal(back.seqId, 7);
  assert.equal(back.lossFn, "ppo");
  assert.deepEqual(back.config, request.config);
  assert.deepEqual(
    back.data.map((d) => d.tokens),
    [[5, 300, 2], [70000]],
  );
  assert.deepEqual(Array.from(back.data[0].inputs.get("advantages")!.data), [0.5, -1, 0.25]);
  assert.deepEqual(back.data[0].inputs.get("target_tokens")!.shape, [3]);
});

test("the SDK's generated protobuf code reads our request and our output", { skip: python.skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-proto-"));
  writeFileSync(join(dir, "req.bin"), encodeForwardBackwardRequest(request));
  const output = {
    outputs: [
      { logprobs: Float32Array.from([-1.5, -0.25]), elementwise_loss: Float32Array.from([0.5, 0]) },
      { logprobs: Float32Array.from([-3]), elementwise_loss: Float32Array.from([1]) },
    ],
    metrics: { "loss:sum": 1.5 },
  };
  writeFileSync(join(dir, "out.bin"), encodeForwardBackwardOutput(output));
  const script = `
import json, sys, numpy as np
from tinker.proto import tinker_public_pb2 as pb
from tinker.proto.response_conv import deserialize_forward_backward_output
r = pb.ForwardBackwardRequest(); r.ParseFromString(open(sys.argv[1] + "/req.bin", "rb").read())
data = []
for d in r.data:
    toks = [int(x) for c in d.model_input for x in np.frombuffer(c.encoded_text.tokens, dtype=np.int32)]
    inputs = {k: {"dtype": v.dtype, "shape": list(v.shape), "values": np.frombuffer(v.dense, dtype=np.int64 if v.dtype == pb.DTYPE_INT64 else np.float32).tolist()} for k, v in d.loss_fn_inputs.items()}
    data.append({"tokens": toks, "inputs": inputs})
out = deserialize_forward_backward_output(open(sys.argv[1] + "/out.bin", "rb").read())
print(json.dumps({"model_id": r.model_id, "seq_id": r.seq_id, "loss_fn": r.loss_fn,
  "config": {k: v.number for k, v in r.loss_fn_config_v2.items()}, "data": data,
  "outputs": [{k: v.tolist() for k, v in o.items()} for o in out.loss_fn_outputs], "metrics": out.metrics}))
`;
  const r = spawnSync(python.bin, ["-c", script, dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.model_id, "session-1:train:0");
  assert.equal(got.seq_id, 7);
  assert.equal(got.loss_fn, "ppo");
  assert.ok(Math.abs(got.config.clip_low_threshold - 0.7) < 1e-12);
  assert.deepEqual(got.data[0].tokens, [5, 300, 2]);
  assert.deepEqual(got.data[1].tokens, [70000]);
  assert.deepEqual(got.data[0].inputs.target_tokens, { dtype: 2, shape: [3], values: [300, 2, 9] });
  assert.deepEqual(got.data[0].inputs.advantages, { dtype: 1, shape: [3], values: [0.5, -1, 0.25] });
  assert.deepEqual(got.outputs, [
    { logprobs: [-1.5, -0.25], elementwise_loss: [0.5, 0] },
    { logprobs: [-3], elementwise_loss: [1] },
  ]);
  assert.deepEqual(got.metrics, { "loss:sum": 1.5 });
  // And our own reader, as a TypeScript client decodes the server's output.
  const ours = decodeForwardBackwardOutput(encodeForwardBackwardOutput(output));
  assert.deepEqual(Array.from(ours.outputs[1].logprobs), [-3]);
  assert.equal(ours.metrics["loss:sum"], 1.5);
});
