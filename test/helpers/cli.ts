// Runs the real `wz` command in a child process and collects its output, or starts a `wz` server
// (serve, tinker) as a real process on loopback.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const WZ = fileURLToPath(new URL("../../bin/wz.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runWz(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WZ, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface WzServer {
  url: string;
  process: ChildProcess;
  stop: () => void;
}

/** `wz <args>` with --port 0; resolves once it prints its URL. */
export async function startWz(args: string[], env: Record<string, string> = {}): Promise<WzServer> {
  const child = spawn(process.execPath, [WZ, ...args, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`wz ${args[0]} exited ${code}: ${err}`)));
  });
  return { url, process: child, stop: () => child.kill("SIGTERM") };
}
