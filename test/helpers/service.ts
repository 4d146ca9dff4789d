// A reward service on a real loopback port, for the tests that talk to it over HTTP.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createRewardService, type ServiceOptions } from "../../src/serve/app.ts";

export type StartedService = Awaited<ReturnType<typeof startService>>;

export async function startService(options: Partial<ServiceOptions> & { judge: ServiceOptions["judge"] }) {
  const service = createRewardService({ groupSize: 4, ...options });
  const server = serve({ fetch: service.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  return {
    url,
    post,
    service,
    close: async () => {
      server.close();
      await service.close();
    },
  };
}
