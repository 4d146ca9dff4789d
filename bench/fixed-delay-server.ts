// A loopback OpenAI-compatible server (separate process) answering every chat completion after a
// fixed delay with a parseable verdict. Prints its URL on stdout. Used by the benchmarks.
import { startScriptedServer } from "../test/helpers/scripted-server.ts";

const delay = Number(process.argv[2] ?? 200);
const server = await startScriptedServer(() => ({
  delayMs: delay,
  content: "Criteria...\nCritique...\n\\boxed{7.5, 6.0}",
}));
console.log(server.url);
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
