// npm run bench:judge: judgments per second through the GenRM judge against a loopback
// OpenAI-compatible server that answers every request after a fixed delay, as a ratio to the
// ceiling concurrency / delay; plus the client's CPU milliseconds per judgment (condition).
import { GenRMJudge } from "../src/judge/genrm.ts";
import { OpenAICompatibleBackend } from "../src/llm/openai-compatible.ts";
import { spawnDelayServer } from "./spawn-server.ts";

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 200);
const server = await spawnDelayServer(DELAY_MS);
const response = "A short story about a lighthouse keeper and a storm. ".repeat(20);

for (const concurrency of [64, 256]) {
  const backend = new OpenAICompatibleBackend({ baseUrls: [server.url], model: "bench", concurrency });
  const judge = new GenRMJudge({ backend });
  // Each comparison is 2 conditions (both orders); keep `concurrency` requests in flight.
  const comparisons = concurrency * 10;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency / 2 }, async () => {
      while (next < comparisons) {
        const i = next++;
        await judge.compare(`Prompt ${i}`, `${response}${i}`, `${response}${i}!`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const judgments = comparisons * 2;
  const rate = judgments / seconds;
  const ceiling = concurrency / (DELAY_MS / 1000);
  const cpuMs = (cpu.user + cpu.system) / 1000 / judgments;
  console.log(
    `concurrency ${concurrency}: ${rate.toFixed(0)} judgments/s, ceiling ${ceiling.toFixed(0)}/s, ratio ${(rate / ceiling).toFixed(3)}; CPU ${cpuMs.toFixed(3)} ms per judgment (client process)`,
  );
}
server.child.kill("SIGTERM");
