// The judge kinds are declared once (recipes/judges/index.ts): every list of kinds derives from
// the registry, each kind's own check names the keys it needs, and an unknown kind is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ARM_JUDGES, ExperimentConfigSchema } from "../../src/recipes/experiment/config.ts";
import { CHAT_BACKENDS, chatBackendFor } from "../../src/recipes/judges/backends.ts";
import { parseJudgeConfig } from "../../src/recipes/judges/config.ts";
import { createJudge, JUDGE_KIND_NAMES, JUDGES } from "../../src/recipes/judges/index.ts";
import { parseTrainConfig } from "../../src/recipes/writing-rl/config.ts";

test("every declared kind is what the configs accept, and only those; every arm judge is a declared kind", () => {
  assert.deepEqual(JUDGE_KIND_NAMES, Object.keys(JUDGES));
  for (const kind of JUDGE_KIND_NAMES) {
    const extra = kind === "genrm" ? ", gguf: x.gguf" : kind === "rm" ? ", reward_model: rm" : "";
    assert.equal(parseTrainConfig(`judge: {kind: ${kind}${extra}}`).judge.kind, kind);
  }
  for (const kind of Object.keys(ARM_JUDGES)) {
    assert.ok(JUDGE_KIND_NAMES.includes(kind as never), kind);
    const arm = ExperimentConfigSchema.safeParse({
      model: {},
      labellers: { l: {} },
      arms: [{ name: "a", judge: kind, labels: "l" }],
    });
    assert.ok(arm.success, `${kind}: ${arm.error?.message}`);
  }
  assert.throws(() => parseTrainConfig("judge: {kind: oracle}"), /judge\.kind/);
});

test("each kind's own check names what it needs", () => {
  assert.throws(
    () => parseJudgeConfig("kind: genrm"),
    /kind genrm needs judge.base_url and judge.model, or judge.gguf/,
  );
  assert.throws(() => parseJudgeConfig("kind: rm"), /kind rm needs judge.reward_model/);
  assert.equal(parseJudgeConfig("kind: rules").kind, "rules");
});

test("createJudge builds the declared kind and refuses an unknown one", async () => {
  const rules = createJudge({ kind: "rules" });
  const v = await rules.judge.compare(
    "Write one sentence about rain. Include the word umbrella. Use at most 10 words.",
    "Rain falls on my red umbrella.",
    "Sun.",
  );
  assert.equal(v.outcome, "a");
  assert.throws(
    () => createJudge({ kind: "oracle" }),
    /judge kind "oracle": expected one of rules, genrm, rm/,
  );
});

test("the chat backends: a GGUF runs in llama.cpp, anything else on an OpenAI-compatible server", () => {
  const named = (spec: Parameters<typeof chatBackendFor>[0]) =>
    CHAT_BACKENDS.find((b) => b.applies(spec))?.name;
  assert.equal(named({ kind: "genrm", gguf: "judge.gguf" }), "llama.cpp");
  assert.equal(named({ kind: "genrm", baseUrls: ["http://127.0.0.1:1/v1"], model: "m" }), "openai");
  assert.throws(
    () => chatBackendFor({ kind: "genrm", gguf: "/nonexistent/judge.gguf" }),
    /judge GGUF .* does not exist/,
  );
  assert.throws(() => chatBackendFor({ kind: "genrm" }), /needs a base URL/);
  const http = chatBackendFor({ kind: "genrm", baseUrls: ["http://127.0.0.1:1/v1"], model: "m" });
  assert.equal(http.where, "http://127.0.0.1:1/v1");
  assert.ok(http.http, "the HTTP client is handed back for criteria scoring");
});
