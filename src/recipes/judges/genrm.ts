// The pairwise generative reward model: on an OpenAI-compatible server (vLLM, SGLang, llama.cpp's
// server, a hosted API) or a local GGUF through llama.cpp, with the principles, sampling, votes and
// reply cache the spec names.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../../data/config-file.ts";
import { GenRMJudge } from "../../judge/genrm.ts";
import { DEFAULT_PRINCIPLE_SET, parsePrinciples } from "../../judge/principles.ts";
import type { ChatBackend } from "../../llm/types.ts";
import { readGgufHeader } from "../../model/gguf.ts";
import { SqliteReplyCache } from "../../store/judge-cache.ts";
import { chatBackendFor } from "./backends.ts";
import {
  type BuiltJudge,
  JUDGE_TEMPLATE_KEY,
  type JudgeFields,
  type JudgeKindSpec,
  type JudgeSpec,
  VOTING_TEMPERATURE,
} from "./spec.ts";

function build(spec: JudgeSpec): BuiltJudge {
  // A judge trained by `wz genrm` records the template it learned; use it unless told otherwise.
  if (spec.gguf && spec.template === undefined && existsSync(spec.gguf)) {
    const recorded = readGgufHeader(spec.gguf).metadata.get(JUDGE_TEMPLATE_KEY);
    if (recorded === "compact" || recorded === "full") spec = { ...spec, template: recorded };
  }
  const built = chatBackendFor(spec);
  return { ...genrm(spec, built.backend, built.where, built.close), backend: built.http };
}

/** The GenRM over any chat backend, with the principles, sampling and cache the spec names. */
function genrm(spec: JudgeSpec, backend: ChatBackend, where: string, closeBackend: () => void): BuiltJudge {
  const principles = spec.principlesFile
    ? parsePrinciples(readFileSync(spec.principlesFile, "utf8"), spec.principlesFile)
    : DEFAULT_PRINCIPLE_SET;
  let cache: SqliteReplyCache | undefined;
  if (spec.cache) {
    mkdirSync(dirname(spec.cache), { recursive: true });
    cache = new SqliteReplyCache(spec.cache);
  }
  const make = (votes: number | undefined) =>
    new GenRMJudge({
      backend,
      principles,
      votes,
      parseRetries: spec.parseRetries,
      sampling: {
        // Voting@n needs independent votes: sampled, unless the caller pinned a temperature.
        temperature: spec.temperature ?? ((votes ?? 1) > 1 ? VOTING_TEMPERATURE : 0),
        top_p: 1,
        max_tokens: spec.maxTokens ?? 2048,
        seed: spec.seed ?? 0,
      },
      cache,
      template: spec.template,
    });
  const judge = make(spec.votes);
  return {
    judge,
    withVotes: make,
    close: () => {
      cache?.close();
      closeBackend();
    },
    describe: () =>
      `${judge.name} via ${where} (template ${judge.templateVersion}, votes ${judge.votes}, principles ${principles.hash}${cache ? `, cache ${spec.cache}` : ", no cache"})`,
  };
}

export const genrmJudge: JudgeKindSpec = {
  name: "genrm",
  description: "a pairwise generative reward model: on an OpenAI-compatible server or a local GGUF",
  check: (j) =>
    !j.gguf && (!j.base_url || !j.model)
      ? "kind genrm needs judge.base_url and judge.model, or judge.gguf"
      : null,
  build,
};

/** A GenRM judge on a server must answer before the run starts; a local GGUF must exist. */
export async function checkGenRMReachable(judge: JudgeFields & { kind: string }): Promise<void> {
  if (judge.kind !== "genrm") return;
  if (judge.gguf) {
    if (!existsSync(judge.gguf)) throw new ConfigError(`judge.gguf: ${judge.gguf} does not exist`);
    return;
  }
  const urls = Array.isArray(judge.base_url) ? judge.base_url : [judge.base_url!];
  for (const u of urls) {
    const base = u.replace(/\/+$/, "").replace(/\/v1$/, "");
    try {
      const res = await fetch(`${base}/v1/models`, { signal: AbortSignal.timeout(5000) });
      if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
    } catch (e) {
      throw new ConfigError(
        `judge server ${u} is not reachable (${(e as Error).message}); start it or fix judge.base_url`,
      );
    }
  }
}
