// npm run bench:serve: /v1/score_groups throughput of `wz serve` (its own process) in front of a
// fixed-latency judge server (another process), as a ratio to the ceiling the judge concurrency
// allows (concurrency / delay judge calls per second), and the service's CPU per judge call.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { spawnDelayServer } from "./spawn-server.ts";

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const G = 8;
const judge = await spawnDelayServer(DELAY_MS);
const service = spawn(
  process.execPath,
  [
    "bin/wz.js",
    "serve",
    "--port",
    "0",
    "--base-url",
    judge.url,
    "--model",
    "bench",
    "--concurrency",
    String(CONCURRENCY),
    "--no-cache",
  ],
  { stdio: ["ignore", "pipe", "ignore"] },
);
const url = await new Promise<string>((resolve) => {
  service.stdout!.on("data", (d) => {
    const m = String(d).match(/listening on (\S+)/);
    if (m) resolve(m[1]);
  });
});

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
}

const text = "A short story about a lighthouse keeper and a storm. ".repeat(20);
const groupsPerRequest = 4;
const requests = 24;
// Enough requests in flight to keep the judge's concurrency busy: each group needs 2(G-1) calls.
const clients = Math.max(1, Math.ceil(CONCURRENCY / (2 * (G - 1) * groupsPerRequest)) * 2);
// Steady state: a warm-up round (JIT, sockets), unmeasured, then three measured rounds; the
// median round is the figure. CPU is read from /proc in 10 ms ticks, so a round is a few seconds.
async function round(requests: number, tag: string) {
  const cpu0 = cpuSeconds(service.pid!);
  const t0 = performance.now();
  let next = 0;
  let calls = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < requests) {
        const r = next++;
        const groups = Array.from({ length: groupsPerRequest }, (_, g) => ({
          prompt: `Prompt ${tag}-${r}-${g}`,
          responses: Array.from({ length: G }, (_, i) => `${text}${tag}-${r}-${g}-${i}`),
          group_id: `${tag}-${r}-${g}`,
        }));
        const res = await fetch(`${url}/v1/score_groups`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ groups }),
        });
        const json = (await res.json()) as { results: { judge_calls: number }[] };
        calls += json.results.reduce((s, x) => s + x.judge_calls, 0);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { calls, seconds, cpuMs: (1000 * (cpuSeconds(service.pid!) - cpu0)) / calls };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await round(8, "warm");
const rounds = [];
for (let r = 0; r < 3; r++) rounds.push(await round(requests, `r${r}`));
const calls = rounds.reduce((s, r) => s + r.calls, 0);
const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
const rate = calls / seconds;
const ceiling = CONCURRENCY / (DELAY_MS / 1000);
console.log(
  `score_groups: ${calls} judge calls in ${seconds.toFixed(1)} s = ${rate.toFixed(0)}/s; ceiling ${ceiling.toFixed(0)}/s; ratio ${(rate / ceiling).toFixed(3)}; service CPU ${median(rounds.map((r) => r.cpuMs)).toFixed(3)} ms per judge call (median of ${rounds.map((r) => r.cpuMs.toFixed(3)).join(", ")} after a warm-up)`,
);
service.kill("SIGTERM");
judge.child.kill("SIGTERM");
