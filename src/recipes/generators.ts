// Response generators for `wz eval`, from a model spec:
//   NAME=path/to/model.gguf        llama.cpp, chat template from the GGUF's metadata
//   NAME=path/to/hf-folder         our engine's folder format (exported to GGUF for llama.cpp)
//   NAME=openai:BASE_URL@MODEL     any OpenAI-compatible server
//   NAME=responses:FILE.jsonl      previously generated {"id", "response"} lines
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Template } from "@huggingface/jinja";
import { asTokens, loadGgufModel } from "../llm/llama-cpp.ts";
import { LlamaSampler } from "../llm/llama-sampler.ts";
import { OpenAICompatibleBackend } from "../llm/openai-compatible.ts";
import { exportGguf, loadModelFolder } from "../model/checkpoint.ts";
import { readGgufHeader } from "../model/gguf.ts";
import { derivedSeed } from "../model/random.ts";

export interface GenerateOptions {
  samples: number;
  temperature: number;
  maxTokens: number;
  seed: number;
}

export interface Generator {
  name: string;
  /** One list of `samples` responses per prompt. */
  generate(prompts: { id: string; prompt: string }[], o: GenerateOptions): Promise<string[][]>;
}

export function parseModelSpec(spec: string): {
  name: string;
  kind: "gguf" | "folder" | "openai" | "responses";
  target: string;
} {
  const eq = spec.indexOf("=");
  const hasName = eq > 0 && !spec.slice(0, eq).includes("/") && !spec.slice(0, eq).includes(":");
  const name = hasName ? spec.slice(0, eq) : basename(spec.replace(/\/+$/, ""));
  const target = hasName ? spec.slice(eq + 1) : spec;
  if (target.startsWith("openai:")) return { name, kind: "openai", target: target.slice(7) };
  if (target.startsWith("responses:")) return { name, kind: "responses", target: target.slice(10) };
  if (!existsSync(target)) throw new Error(`model ${name}: ${target} does not exist`);
  return { name, kind: statSync(target).isDirectory() ? "folder" : "gguf", target };
}

async function ggufGenerator(name: string, path: string): Promise<Generator> {
  const header = readGgufHeader(path);
  const template = header.metadata.get("tokenizer.chat_template");
  const eos = header.metadata.get("tokenizer.ggml.eos_token_id") as number | undefined;
  const model = await loadGgufModel(path);
  const render = (prompt: string) =>
    typeof template === "string"
      ? new Template(template).render({
          messages: [{ role: "user", content: prompt }],
          add_generation_prompt: true,
          bos_token: "",
          eos_token: "",
        })
      : prompt;
  return {
    name,
    async generate(prompts, o) {
      const sampler = new LlamaSampler(2048);
      await sampler.load(path);
      try {
        const out: string[][] = [];
        for (const [i, p] of prompts.entries()) {
          const tokens = Array.from(model.tokenize(render(p.prompt), true) as number[]);
          const samples = await sampler.sample(tokens, {
            n: o.samples,
            temperature: o.temperature,
            topP: 1,
            maxTokens: o.maxTokens,
            seed: derivedSeed(o.seed, "eval", p.id, i) & 0x7fffffff,
            stopTokens: eos === undefined ? [] : [eos],
          });
          out.push(
            samples.map((s) =>
              model.detokenize(asTokens(s.finishReason === "stop" ? s.tokens.slice(0, -1) : s.tokens)).trim(),
            ),
          );
        }
        return out;
      } finally {
        await sampler.close();
      }
    },
  };
}

export async function createGenerator(spec: string, apiKey?: string): Promise<Generator> {
  const s = parseModelSpec(spec);
  if (s.kind === "gguf") return ggufGenerator(s.name, s.target);
  if (s.kind === "folder") {
    const { model, tokenizer } = loadModelFolder(s.target);
    if (!tokenizer) throw new Error(`model ${s.name}: ${s.target} has no tokenizer.json`);
    const path = join(mkdtempSync(join(tmpdir(), "wz-eval-")), `${s.name}.gguf`);
    writeFileSync(path, exportGguf(model, tokenizer));
    return ggufGenerator(s.name, path);
  }
  if (s.kind === "responses") {
    const byId = new Map<string, string[]>();
    readFileSync(s.target, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (!line.trim()) return;
        const row = JSON.parse(line) as { id?: unknown; response?: unknown };
        if (row.id === undefined || typeof row.response !== "string")
          throw new Error(`${s.target}: line ${i + 1} needs "id" and "response"`);
        byId.set(String(row.id), [...(byId.get(String(row.id)) ?? []), row.response]);
      });
    return {
      name: s.name,
      async generate(prompts, o) {
        return prompts.map((p) => {
          const r = byId.get(p.id);
          if (!r) throw new Error(`${s.target}: no response for prompt id ${p.id}`);
          return Array.from({ length: o.samples }, (_, k) => r[k % r.length]);
        });
      },
    };
  }
  const at = s.target.lastIndexOf("@");
  if (at < 0) throw new Error(`model ${s.name}: expected openai:BASE_URL@MODEL`);
  const backend = new OpenAICompatibleBackend({
    baseUrls: [s.target.slice(0, at)],
    model: s.target.slice(at + 1),
    apiKey,
    concurrency: 16,
  });
  return {
    name: s.name,
    async generate(prompts, o) {
      return Promise.all(
        prompts.map(async (p, i) =>
          Promise.all(
            Array.from({ length: o.samples }, async (_, k) => {
              const r = await backend.chat({
                messages: [{ role: "user", content: p.prompt }],
                sampling: {
                  temperature: o.temperature,
                  top_p: 1,
                  max_tokens: o.maxTokens,
                  seed: o.seed + i * 1000 + k,
                },
              });
              if (!r.ok)
                throw new Error(`model ${s.name}: generation failed for prompt ${p.id}: ${r.detail}`);
              return r.text.replace(/^[\s\S]*<\/think>/, "").trim();
            }),
          ),
        ),
      );
    },
  };
}
