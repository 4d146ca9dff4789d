// `wz tinker`: a Tinker-compatible training service over the embedded engine, for the official
// Python SDK (tinker on PyPI) and the recipes written against it (tinker-cookbook).

import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { chooseKernel } from "../recipes/kernel.ts";
import { createTinkerService } from "../tinker/app.ts";
import { parseBaseSpec } from "../tinker/bases.ts";
import { UsageError } from "./errors.ts";
import { numberFlag } from "./flags.ts";
import { listen, untilSignal } from "./listen.ts";

export const TINKER_HELP = `wz tinker --model NAME=PATH [--model ...] [options]

Serves the Tinker API (the HTTP routes of the official tinker SDK, 0.38) over the embedded
engine: LoRA or full-weight training clients with forward, forward_backward (cross_entropy,
importance_sampling, ppo), optim_step (Adam), save_state / load_state and futures. Point the SDK at
it with  ServiceClient(base_url="http://127.0.0.1:PORT", api_key="tml-...")  (see docs/tinker.md).

  --model NAME=PATH   a base model clients may train: a model folder (config.json, safetensors,
                      tokenizer.json) or a GGUF that wz import reads; repeat for several
  --port N            listen port (default 8000; 0 picks a free one)
  --host H            listen address (default 127.0.0.1: loopback only)
  --api-key-env VAR   require the X-API-Key header to equal $VAR on every route but /healthz
  --jwt-ttl S         with --api-key-env: the key exchange of services that set pjwt_auth_enabled
                      (the key buys a token at /api/v1/auth/token that opens the other routes for
                      S seconds); 0 (default): the key opens every route
  --state DIR         saved states (tinker://MODEL/weights/NAME is DIR/runs/MODEL/weights/NAME)
                      and GGUF bases' tokenizers (default .wz-tinker)
  --max-pending N     operations admitted and not finished before 429 (default 256)
  --body-limit BYTES  request body limit (default 67108864)
  --kernel K          compute kernel: auto, blas, mkl, wasm, reference (default auto)
  --threads N         threads of the native and wasm kernels (default: every core)`;

const OPTIONS = {
  model: { type: "string", multiple: true },
  port: { type: "string", default: "8000" },
  host: { type: "string", default: "127.0.0.1" },
  "api-key-env": { type: "string" },
  "jwt-ttl": { type: "string", default: "0" },
  state: { type: "string", default: ".wz-tinker" },
  "max-pending": { type: "string", default: "256" },
  "body-limit": { type: "string", default: String(64 << 20) },
  kernel: { type: "string", default: "auto" },
  threads: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function tinkerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (values.help) {
    console.log(TINKER_HELP);
    return 0;
  }
  const bases = (values.model ?? []).map((m) => {
    try {
      return parseBaseSpec(m);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  if (bases.length === 0) throw new UsageError(`--model NAME=PATH is required\n\n${TINKER_HELP}`);
  let apiKey: string | undefined;
  if (values["api-key-env"]) {
    apiKey = process.env[values["api-key-env"]];
    if (!apiKey)
      throw new UsageError(`--api-key-env ${values["api-key-env"]}: that variable is empty or unset`);
  }
  const jwtTtlSeconds = numberFlag(values, "jwt-ttl", { int: true, min: 0 })!;
  if (jwtTtlSeconds > 0 && !apiKey)
    throw new UsageError("--jwt-ttl needs --api-key-env (the key the token is bought with)");
  const { kernel } = await chooseKernel({
    kernel: values.kernel,
    threads: numberFlag(values, "threads", { int: true, min: 1 }),
  });
  const service = createTinkerService({
    bases,
    stateDir: resolve(values.state),
    kernel,
    apiKey,
    jwtTtlSeconds,
    maxPending: numberFlag(values, "max-pending", { int: true, min: 1 }),
    bodyLimitBytes: numberFlag(values, "body-limit", { int: true, min: 1024 }),
    log: (line) => process.stderr.write(`wz tinker: ${line}\n`),
  });
  const port = numberFlag(values, "port", { int: true, min: 0, max: 65535 })!;
  const server = await listen(service.app.fetch, port, values.host);
  const address = server.address() as AddressInfo;
  console.log(`listening on http://${address.address}:${address.port}`);
  process.stderr.write(
    `wz tinker: serving ${bases.map((b) => b.name).join(", ")}; state in ${resolve(values.state)}\n`,
  );
  await untilSignal(async () => {
    server.close();
    await service.close();
  });
  return 0;
}
