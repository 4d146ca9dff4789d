// Polls a condition while a child process runs: fails at once, naming what it waited for, if the
// child exits first, and after a deadline otherwise. A poll that can never end hangs CI instead.
import type { ChildProcess } from "node:child_process";

export async function waitWhileRunning(
  child: ChildProcess,
  condition: () => boolean,
  what: string,
  options: { timeoutMs?: number; output?: () => string } = {},
): Promise<void> {
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    if (condition()) return;
    if (exited !== undefined)
      throw new Error(`the child exited (code ${exited}) before ${what}\n${options.output?.() ?? ""}`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}\n${options.output?.() ?? ""}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
