// The Tinker API's protobuf messages that this server reads and writes (package tinker_public,
// vendored by the official SDK as tinker/proto/tinker_public_pb2.py): ForwardBackwardRequest in,
// ForwardBackwardOutput and SampleResponse out. Field numbers are the SDK's. Anything the server
// does not implement (images, audio, sparse tensors, provenance spans) is refused by name. Pure.
import { UserError } from "./errors.ts";
import { byNumber, type Field, fieldAs, MessageWriter, readFields } from "./wire.ts";

export class UnsupportedInput extends UserError {}

/** A tensor of loss_fn_inputs, dense, flattened in row-major order. */
export interface Tensor {
  dtype: "float32" | "int64";
  shape: number[];
  data: Float64Array;
}

export interface Datum {
  /** The model_input's tokens, every encoded-text chunk in order. */
  tokens: number[];
  inputs: Map<string, Tensor>;
}

/**
 * A whole token sequence as cross_entropy's datum: inputs all but the last token, targets all but
 * the first, one weight per target (0 where no loss is taken).
 */
export function crossEntropyDatum(sequence: number[], weights: ArrayLike<number>): Datum {
  const n = sequence.length - 1;
  if (weights.length !== n) throw new UserError(`${weights.length} weights for ${n} targets`);
  return {
    tokens: sequence.slice(0, -1),
    inputs: new Map<string, Tensor>([
      ["target_tokens", { dtype: "int64", shape: [n], data: Float64Array.from(sequence.slice(1)) }],
      ["weights", { dtype: "float32", shape: [n], data: Float64Array.from(weights) }],
    ]),
  };
}

export interface ForwardBackwardRequest {
  modelId: string;
  seqId: number;
  lossFn: string;
  config: Record<string, number | string>;
  forwardOnly: boolean;
  data: Datum[];
}

// proto DType
const DTYPE = { unspecified: 0, float32: 1, int64: 2, int32: 3, bfloat16: 4 } as const;

const first = (m: Map<number, Field[]>, n: number): Field | undefined => m.get(n)?.at(-1);

function mapEntries(fields: Field[] | undefined): { key: string; value: Map<number, Field[]> }[] {
  return (fields ?? []).map((f) => {
    const entry = byNumber(readFields(fieldAs.bytes(f)));
    const key = first(entry, 1);
    return { key: key ? fieldAs.string(key) : "", value: entry };
  });
}

function decodeTensor(bytes: Uint8Array, name: string): Tensor {
  const m = byNumber(readFields(bytes));
  if (m.has(2)) throw new UnsupportedInput(`loss_fn_inputs["${name}"] is a sparse tensor: send it dense`);
  const dtypeField = first(m, 3);
  const dtype = dtypeField ? fieldAs.int(dtypeField) : DTYPE.unspecified;
  const dense = first(m, 1);
  const raw = dense ? fieldAs.bytes(dense) : new Uint8Array(0);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let data: Float64Array;
  let kind: Tensor["dtype"];
  if (dtype === DTYPE.float32) {
    data = new Float64Array(raw.byteLength / 4).map((_, i) => view.getFloat32(i * 4, true));
    kind = "float32";
  } else if (dtype === DTYPE.int64) {
    data = new Float64Array(raw.byteLength / 8).map((_, i) => Number(view.getBigInt64(i * 8, true)));
    kind = "int64";
  } else if (dtype === DTYPE.int32) {
    data = new Float64Array(raw.byteLength / 4).map((_, i) => view.getInt32(i * 4, true));
    kind = "int64";
  } else
    throw new UnsupportedInput(
      `loss_fn_inputs["${name}"] has dtype ${dtype}: float32 and int64 are supported`,
    );
  const shape = fieldAs.ints(m.get(4) ?? []);
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length > 0 && count !== data.length)
    throw new UnsupportedInput(`loss_fn_inputs["${name}"] has shape [${shape}] but ${data.length} values`);
  return { dtype: kind, shape: shape.length > 0 ? shape : [data.length], data };
}

function decodeDatum(bytes: Uint8Array, index: number): Datum {
  const m = byNumber(readFields(bytes));
  // Provenance spans (fields 3, 4: which sampled sequence each token came from) serve only the
  // stable_reinforce loss, which this server refuses; the losses it runs do not read them.
  const tokens: number[] = [];
  for (const chunkField of m.get(1) ?? []) {
    const chunk = byNumber(readFields(fieldAs.bytes(chunkField)));
    if (chunk.has(2))
      throw new UnsupportedInput(`data[${index}].model_input holds an image chunk: text only`);
    if (chunk.has(3))
      throw new UnsupportedInput(`data[${index}].model_input holds an audio chunk: text only`);
    const text = first(chunk, 1);
    if (!text) continue;
    const t = first(byNumber(readFields(fieldAs.bytes(text))), 1);
    const raw = t ? fieldAs.bytes(t) : new Uint8Array(0);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < raw.byteLength / 4; i++) tokens.push(view.getInt32(i * 4, true));
  }
  const inputs = new Map<string, Tensor>();
  for (const { key, value } of mapEntries(m.get(2))) {
    const v = first(value, 2);
    inputs.set(key, decodeTensor(v ? fieldAs.bytes(v) : new Uint8Array(0), key));
  }
  return { tokens, inputs };
}

export function decodeForwardBackwardRequest(bytes: Uint8Array): ForwardBackwardRequest {
  const m = byNumber(readFields(bytes));
  const str = (n: number) => {
    const f = first(m, n);
    return f ? fieldAs.string(f) : "";
  };
  const config: Record<string, number | string> = {};
  for (const { key, value } of mapEntries(m.get(5))) {
    const v = first(value, 2);
    config[key] = v ? fieldAs.double(v) : 0;
  }
  // v2 carries strings too, and wins where both are set (as the SDK's comment says servers do).
  for (const { key, value } of mapEntries(m.get(7))) {
    const v = first(value, 2);
    const inner = byNumber(readFields(v ? fieldAs.bytes(v) : new Uint8Array(0)));
    const num = first(inner, 1);
    const text = first(inner, 2);
    config[key] = text ? fieldAs.string(text) : num ? fieldAs.double(num) : 0;
  }
  const seq = first(m, 2);
  const fwd = first(m, 6);
  return {
    modelId: str(1),
    seqId: seq ? fieldAs.int(seq) : 0,
    lossFn: str(4),
    config,
    forwardOnly: fwd ? fieldAs.bool(fwd) : false,
    data: (m.get(3) ?? []).map((f, i) => decodeDatum(fieldAs.bytes(f), i)),
  };
}

function float32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A per-datum output field: float32 values of every datum, concatenated, with byte offsets. */
function batchedFloat32(perDatum: ArrayLike<number>[]): MessageWriter {
  const offsets = new BigInt64Array(perDatum.length + 1);
  let total = 0;
  perDatum.forEach((d, i) => {
    total += d.length;
    offsets[i + 1] = BigInt(total * 4);
  });
  const data = new Float32Array(total);
  let at = 0;
  for (const d of perDatum) {
    data.set(d, at);
    at += d.length;
  }
  return new MessageWriter()
    .bytes(1, new Uint8Array(data.buffer))
    .bytes(2, new Uint8Array(offsets.buffer))
    .int(3, DTYPE.float32);
}

export interface ForwardBackwardOutput {
  /** Per datum, per output name (logprobs, elementwise_loss): one value per token. */
  outputs: Record<string, ArrayLike<number>>[];
  metrics: Record<string, number>;
}

export function encodeForwardBackwardOutput(out: ForwardBackwardOutput): Uint8Array {
  const record = new MessageWriter().string(1, "ArrayRecord");
  const names = out.outputs.length > 0 ? Object.keys(out.outputs[0]) : [];
  for (const name of names) {
    const entry = new MessageWriter()
      .string(1, name)
      .message(2, batchedFloat32(out.outputs.map((o) => o[name])));
    record.message(2, entry);
  }
  record.int(3, out.outputs.length);
  const msg = new MessageWriter().string(1, "ArrayRecord").message(2, record);
  for (const [k, v] of Object.entries(out.metrics))
    msg.message(3, new MessageWriter().string(1, k).double(2, v));
  return msg.finish();
}

export interface SampledSequence {
  stopReason: "stop" | "length";
  tokens: number[];
  logprobs: number[];
}

export function encodeSampleResponse(
  sequences: SampledSequence[],
  promptLogprobs: number[] | null,
): Uint8Array {
  const msg = new MessageWriter();
  for (const s of sequences) {
    const seq = new MessageWriter()
      .int(1, s.stopReason === "length" ? 1 : 0)
      .bytes(2, new Uint8Array(Int32Array.from(s.tokens).buffer))
      .bytes(3, float32Bytes(s.logprobs));
    msg.message(1, seq);
  }
  if (promptLogprobs) msg.bytes(2, float32Bytes(promptLogprobs));
  return msg.finish();
}

function tensorMessage(t: Tensor): MessageWriter {
  const bytes =
    t.dtype === "int64"
      ? new Uint8Array(BigInt64Array.from(Array.from(t.data, (x) => BigInt(Math.round(x)))).buffer)
      : float32Bytes(t.data);
  return new MessageWriter()
    .bytes(1, bytes)
    .int(3, t.dtype === "int64" ? DTYPE.int64 : DTYPE.float32)
    .packedInts(4, t.shape);
}

/** The request as the SDK writes it (request_conv.py): for a client of a Tinker service. */
export function encodeForwardBackwardRequest(req: ForwardBackwardRequest): Uint8Array {
  const msg = new MessageWriter().string(1, req.modelId).int(2, req.seqId);
  for (const d of req.data) {
    const text = new MessageWriter().bytes(1, new Uint8Array(Int32Array.from(d.tokens).buffer));
    const datum = new MessageWriter().message(1, new MessageWriter().message(1, text));
    for (const [name, t] of d.inputs)
      datum.message(2, new MessageWriter().string(1, name).message(2, tensorMessage(t)));
    msg.message(3, datum);
  }
  msg.string(4, req.lossFn);
  for (const [k, v] of Object.entries(req.config)) {
    const value = typeof v === "string" ? new MessageWriter().string(2, v) : new MessageWriter().double(1, v);
    msg.message(7, new MessageWriter().string(1, k).message(2, value));
  }
  if (req.forwardOnly) msg.int(6, 1);
  return msg.finish();
}

/** The response's per-datum outputs, as a client reads them (response_conv.py). */
export function decodeForwardBackwardOutput(bytes: Uint8Array): ForwardBackwardOutput {
  const m = byNumber(readFields(bytes));
  const metrics: Record<string, number> = {};
  for (const { key, value } of mapEntries(m.get(3))) {
    const v = first(value, 2);
    metrics[key] = v ? fieldAs.double(v) : 0;
  }
  const outputs: Record<string, Float32Array>[] = [];
  for (const recordField of m.get(2) ?? []) {
    const record = byNumber(readFields(fieldAs.bytes(recordField)));
    const n = first(record, 3) ? fieldAs.int(first(record, 3)!) : 0;
    const start = outputs.length;
    for (let i = 0; i < n; i++) outputs.push({});
    for (const { key, value } of mapEntries(record.get(2))) {
      const bt = byNumber(readFields(fieldAs.bytes(first(value, 2)!)));
      const data = fieldAs.bytes(first(bt, 1)!);
      const offsets = fieldAs.bytes(first(bt, 2)!);
      const dtype = first(bt, 3) ? fieldAs.int(first(bt, 3)!) : DTYPE.unspecified;
      if (dtype !== DTYPE.float32)
        throw new UnsupportedInput(`output ${key} has dtype ${dtype}: float32 expected`);
      const off = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
      const all = new Float32Array(data.slice().buffer);
      for (let i = 0; i < n; i++) {
        const a = Number(off.getBigInt64(i * 8, true)) / 4;
        const b = Number(off.getBigInt64((i + 1) * 8, true)) / 4;
        outputs[start + i][key] = all.slice(a, b);
      }
    }
  }
  return { outputs, metrics };
}

/** A SampleResponse as a client reads it: the sequences, and the prompt's log-probabilities if asked. */
export function decodeSampleResponse(bytes: Uint8Array): {
  sequences: SampledSequence[];
  promptLogprobs: number[] | null;
} {
  const m = byNumber(readFields(bytes));
  const sequences = (m.get(1) ?? []).map((f): SampledSequence => {
    const s = byNumber(readFields(fieldAs.bytes(f)));
    const reason = first(s, 1) ? fieldAs.int(first(s, 1)!) : 0;
    const tokens = first(s, 2) ? fieldAs.bytes(first(s, 2)!) : new Uint8Array();
    const logprobs = first(s, 3) ? fieldAs.bytes(first(s, 3)!) : new Uint8Array();
    return {
      stopReason: reason === 1 ? "length" : "stop",
      tokens: Array.from(new Int32Array(tokens.slice().buffer)),
      logprobs: Array.from(new Float32Array(logprobs.slice().buffer)),
    };
  });
  const p = first(m, 2);
  return {
    sequences,
    promptLogprobs: p ? Array.from(new Float32Array(fieldAs.bytes(p).slice().buffer)) : null,
  };
}
