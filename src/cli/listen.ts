// Serving on a port: listening with an error that names the port, and waiting for a signal.
import { serve } from "@hono/node-server";
import { UsageError } from "./errors.ts";

/** Listens, or fails with one line naming the port (in use, out of range). */
export async function listen(fetch: Parameters<typeof serve>[0]["fetch"], port: number, host: string) {
  const server = serve({ fetch, port, hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new UsageError(
          e.code === "EADDRINUSE"
            ? `--port ${port}: ${host}:${port} is already in use (pick another port, or --port 0 for a free one)`
            : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      ),
    );
  });
  return server;
}

/** Resolves after `stop` has run on the first SIGINT or SIGTERM. */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const once = async () => {
      await stop();
      resolve();
    };
    process.once("SIGINT", once);
    process.once("SIGTERM", once);
  });
}
