// The base models a `wz tinker` server offers: each a model folder (config.json, safetensors,
// tokenizer.json) or a GGUF file that `wz import` reads, under a name clients ask for. The SDK
// loads the tokenizer on the client side from get_info's tokenizer_id; here that id is a local
// folder holding tokenizer.json, so transformers' AutoTokenizer reads it offline.
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadModelFolder } from "../model/checkpoint.ts";
import { DecoderModel } from "../model/decoder.ts";
import { importGguf } from "../model/gguf-import.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import type { TextTokenizer } from "../model/tokenizer/tokenizer.ts";
import { UserError } from "./errors.ts";

export interface BaseSpec {
  name: string;
  path: string;
}

export interface LoadedBase {
  name: string;
  /** The base's weights; every training model starts from a copy. */
  model: DecoderModel;
  tokenizer: TextTokenizer;
  /** A folder with tokenizer.json and tokenizer_config.json, for the SDK's get_tokenizer(). */
  tokenizerDir: string;
}

/** "name=path" as the command line gives it (a bare path is named after its file or folder). */
export function parseBaseSpec(arg: string): BaseSpec {
  const eq = arg.indexOf("=");
  const path = eq >= 0 ? arg.slice(eq + 1) : arg;
  const name = eq >= 0 ? arg.slice(0, eq) : (path.replace(/\/+$/, "").split("/").at(-1) ?? path);
  if (!name || !path) throw new UserError(`--model ${arg}: expected NAME=PATH`);
  if (name.includes(":"))
    throw new UserError(`--model ${arg}: a model name may not hold ":" (the SDK cuts there)`);
  return { name, path };
}

export function loadBase(spec: BaseSpec, stateDir: string, kernel: ComputeBackend): LoadedBase {
  if (!existsSync(spec.path)) throw new UserError(`model ${spec.name}: ${spec.path} does not exist`);
  if (statSync(spec.path).isDirectory()) {
    const { model, tokenizer } = loadModelFolder(spec.path, kernel);
    if (!tokenizer) throw new UserError(`model ${spec.name}: ${spec.path} has no tokenizer.json`);
    return { name: spec.name, model, tokenizer, tokenizerDir: resolve(spec.path) };
  }
  const { model, tokenizer } = importGguf(spec.path, { kernel });
  // The GGUF's vocabulary as a tokenizer.json folder, which the client can read without a hub.
  const dir = resolve(join(stateDir, "tokenizers", spec.name));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer.json));
  writeFileSync(join(dir, "tokenizer_config.json"), `${JSON.stringify(tokenizer.config, null, 2)}\n`);
  return { name: spec.name, model, tokenizer, tokenizerDir: dir };
}

/** A fresh model with the base's weights. */
export function copyOfBase(base: LoadedBase): DecoderModel {
  return new DecoderModel(base.model.cfg, "f32", {
    kernel: base.model.kernel,
    data: Float32Array.from(base.model.params.data),
  });
}
