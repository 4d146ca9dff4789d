// Starts bench/fixed-delay-server.ts in its own process, so that the benchmark's CPU figures
// count the client only.
import { type ChildProcess, spawn } from "node:child_process";

export async function spawnDelayServer(delayMs: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/fixed-delay-server.ts", String(delayMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url, child };
}
