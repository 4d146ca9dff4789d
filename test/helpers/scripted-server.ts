// An OpenAI-compatible chat-completions server on loopback that answers from a script. It stands
// in for vLLM/SGLang in tests: scripted replies, slow replies, 429s, 500s, dropped connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedReply {
  status?: number;
  /** Assistant text for a 200 reply. */
  content?: string;
  finishReason?: string;
  /** Raw body instead of a chat completion (for malformed responses). */
  rawBody?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
}

export interface ChatCall {
  index: number;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    temperature?: number;
    seed?: number;
    max_tokens?: number;
  };
  authorization?: string;
}

export type Script = (call: ChatCall) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedServer {
  url: string;
  calls: ChatCall[];
  close(): Promise<void>;
}

export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const calls: ChatCall[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url !== "/v1/chat/completions" || req.method !== "POST") {
      res.writeHead(404).end("not found");
      return;
    }
    const call: ChatCall = {
      index: calls.length,
      body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      authorization: req.headers.authorization,
    };
    calls.push(call);
    const reply = await script(call);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.drop) {
      req.socket.destroy();
      return;
    }
    const status = reply.status ?? 200;
    const body =
      reply.rawBody ??
      (status === 200
        ? JSON.stringify({
            id: `cmpl-${call.index}`,
            object: "chat.completion",
            model: call.body.model,
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: reply.content ?? "" },
                finish_reason: reply.finishReason ?? "stop",
              },
            ],
            usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
          })
        : JSON.stringify({ error: { message: `scripted ${status}` } }));
    res.writeHead(status, { "content-type": "application/json", ...reply.headers }).end(body);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Which response a judge prompt shows first/second, read back from the rendered user message. */
export function shownResponses(call: ChatCall): { first: string; second: string; prompt: string } {
  const user = call.body.messages.find((m) => m.role === "user")!.content;
  const grab = (tag: string) => {
    const m = user.match(new RegExp(`<${tag}-[0-9a-f]+>\\n([\\s\\S]*?)\\n</${tag}-[0-9a-f]+>`));
    if (!m) throw new Error(`no ${tag} block in the judge prompt`);
    return m[1];
  };
  return { prompt: grab("prompt"), first: grab("response-1"), second: grab("response-2") };
}
