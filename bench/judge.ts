// npm run bench:judge: judgments per second through the GenRM judge against a loopback
// OpenAI-compatible server that answers every request after a fixed delay, as a ratio to the
// ceiling concurrency / delay; plus the client's CPU milliseconds per judgment (condition).
import { GenRMJudge } from "../src/judge/genrm.ts";
import { OpenAICompatibleBackend } from "../src/llm/openai-compatible.ts";
import { spawnDelayServer } from "./spawn-server.ts";

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 200);
const server = await spawnDelayServer(DELAY_MS);
const response = "A short story about a lighthouse keeper and a storm. ".repeat(20);

// Steady state, as a long training run sees it: a warm-up (JIT, sockets) first, unmeasured, then
// three measured rounds; the median round is the figure, all three are printed.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const concurrency of [64, 256]) {
  const backend = new OpenAICompatibleBackend({ baseUrls: [server.url], model: "bench", concurrency });
  const judge = new GenRMJudge({ backend });
  // Each comparison is 2 conditions (both orders); keep `concurrency` requests in flight.
  const round = async (comparisons: number) => {
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
    return { rate: (comparisons * 2) / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / (comparisons * 2) };
  };
  await round(concurrency * 3);
  const rounds = [];
  for (let r = 0; r < 3; r++) rounds.push(await round(concurrency * 10));
  const rate = median(rounds.map((r) => r.rate));
  const cpuMs = median(rounds.map((r) => r.cpuMs));
  const ceiling = concurrency / (DELAY_MS / 1000);
  console.log(
    `concurrency ${concurrency}: ${rate.toFixed(0)} judgments/s, ceiling ${ceiling.toFixed(0)}/s, ratio ${(rate / ceiling).toFixed(3)}; CPU ${cpuMs.toFixed(3)} ms per judgment (client process; median of ${rounds.map((r) => r.cpuMs.toFixed(3)).join(", ")} after a warm-up)`,
  );
}
server.child.kill("SIGTERM");

// Prefix-cache reuse of one BRPO group's judge prompts: G = 16, one reference, 1,000-token
// responses, both orders per member, in the order GenRMJudge issues them. Tokens are 4-character
// pieces, about what BPE tokenizers average on English (the system prompt comes to ~600 "tokens",
// the 550); each response is 1,000 such pieces. Shared prefixes are shared in any tokenizer.
{
  const { DEFAULT_PRINCIPLE_SET } = await import("../src/judge/principles.ts");
  const { renderJudgeMessages, TEMPLATE_VERSION } = await import("../src/judge/template.ts");
  const { prefixReuseShare } = await import("../src/judge/prefix-reuse.ts");
  // 1,000 pieces of 4 characters: "wNN " with NN from 00 to 99
  const words = (seed: number) =>
    Array.from(
      { length: 1000 },
      (_, k) => `w${String((seed * 7919 + k * 104729) % 100).padStart(2, "0")} `,
    ).join("");
  const request = "Write a short story about a lighthouse keeper during a storm, in under 1,200 words.";
  const reference = words(0);
  const prompts: string[] = [];
  for (let m = 1; m < 16; m++) {
    for (const [first, second] of [
      [words(m), reference],
      [reference, words(m)],
    ]) {
      const msgs = renderJudgeMessages({ prompt: request, first, second }, DEFAULT_PRINCIPLE_SET);
      prompts.push(msgs.map((x) => `<${x.role}>\n${x.content}`).join("\n"));
    }
  }
  const share = prefixReuseShare(prompts, (t) => t.match(/[\s\S]{1,4}/g) ?? []);
  console.log(
    `prefix-cache reuse (${TEMPLATE_VERSION}, G = 16, 1,000-token responses, both orders): ${(100 * share).toFixed(1)}% of judge prompt tokens per group (target >= 40%)`,
  );
}
