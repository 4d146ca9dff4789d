// A reward model served by vLLM's pooling API (`vllm serve MODEL --runner pooling`): POST
// {base}/pooling with the conversation as chat messages, one request per response, so that vLLM
// renders it with the model's own chat template. The reply's data[0].data is the reward: a
// number, or a list (per token, or per label) whose last number is read. A failed or unreadable
// reply is null: counted by the caller, never a reward of 0.
export interface PoolingOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** The reward in a /pooling reply, or an explanation of why there is none. */
export function rewardOfPoolingReply(json: unknown): number | string {
  const data = (json as { data?: { data?: unknown }[] } | null)?.data;
  if (!Array.isArray(data) || data.length === 0) return "no data in the reply";
  let v: unknown = data[0]?.data;
  while (Array.isArray(v)) {
    if (v.length === 0) return "an empty data list";
    v = v[v.length - 1];
  }
  return typeof v === "number" && Number.isFinite(v) ? v : `data is not a number (${JSON.stringify(v)})`;
}

export class VllmPoolingScorer {
  failures = 0;
  lastError: string | null = null;

  constructor(private readonly o: PoolingOptions) {}

  get name(): string {
    return `vllm-pooling:${this.o.model}`;
  }

  async score(prompt: string, response: string): Promise<number | null> {
    const f = this.o.fetchImpl ?? fetch;
    try {
      const res = await f(`${this.o.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/pooling`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.o.model,
          messages: [
            { role: "user", content: prompt },
            { role: "assistant", content: response },
          ],
        }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 60_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const reward = rewardOfPoolingReply(await res.json());
      if (typeof reward === "string") throw new Error(reward);
      return reward;
    } catch (e) {
      this.failures++;
      this.lastError = (e as Error).message;
      return null;
    }
  }
}
