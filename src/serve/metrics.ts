// Counters and gauges for GET /metrics, in the Prometheus text format. Route labels come from a
// fixed set (the matched route, never the raw path: a path cannot forge or multiply series), and
// every label value is escaped as the format requires.

export const ROUTES = [
  "/healthz",
  "/metrics",
  "/v1/compare",
  "/v1/score_group",
  "/v1/score_groups",
  "/v1/genrm_reward",
  "/get_reward",
] as const;

/** The route label of a request: one of ROUTES, or "other" for anything else. */
export function routeLabel(path: string): string {
  return (ROUTES as readonly string[]).includes(path) ? path : "other";
}

/** Prometheus label-value escaping: backslash, double quote and newline. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export class ServiceMetrics {
  unauthorized = 0;
  retriesAnswered = 0;
  readonly requests = new Map<string, number>();
  readonly errors = new Map<string, number>();
  latencySum = 0;
  latencyCount = 0;
  judgeCalls = 0;
  judgeFailures = 0;
  groupsScored = 0;
  droppedGroups = 0;
  maskedSamples = 0;

  request(path: string, status: number, ms: number): void {
    const route = routeLabel(path);
    this.requests.set(route, (this.requests.get(route) ?? 0) + 1);
    if (status >= 400)
      this.errors.set(`${route} ${status}`, (this.errors.get(`${route} ${status}`) ?? 0) + 1);
    this.latencySum += ms / 1000;
    this.latencyCount++;
  }

  render(gauges: Record<string, number>): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    metric("wz_requests_total", "counter", "HTTP requests by route");
    for (const [route, n] of this.requests)
      lines.push(`wz_requests_total{route="${escapeLabel(route)}"} ${n}`);
    metric("wz_request_errors_total", "counter", "HTTP error responses by route and status");
    for (const [key, n] of this.errors) {
      const cut = key.lastIndexOf(" ");
      const [route, status] = [key.slice(0, cut), key.slice(cut + 1)];
      lines.push(
        `wz_request_errors_total{route="${escapeLabel(route)}",status="${escapeLabel(status)}"} ${n}`,
      );
    }
    metric("wz_request_duration_seconds", "summary", "request latency");
    lines.push(
      `wz_request_duration_seconds_sum ${this.latencySum}`,
      `wz_request_duration_seconds_count ${this.latencyCount}`,
    );
    metric(
      "wz_unauthorized_total",
      "counter",
      "requests refused for a missing or wrong token (not recorded by route)",
    );
    lines.push(`wz_unauthorized_total ${this.unauthorized}`);
    metric("wz_retries_answered_total", "counter", "/get_reward requests answered from memory as retries");
    lines.push(`wz_retries_answered_total ${this.retriesAnswered}`);
    metric("wz_judge_calls_total", "counter", "judge conditions run (each presentation order and vote)");
    lines.push(`wz_judge_calls_total ${this.judgeCalls}`);
    metric("wz_judge_failures_total", "counter", "judge conditions that failed (parse or call)");
    lines.push(`wz_judge_failures_total ${this.judgeFailures}`);
    metric("wz_groups_scored_total", "counter", "groups scored");
    lines.push(`wz_groups_scored_total ${this.groupsScored}`);
    metric("wz_dropped_groups_total", "counter", "groups dropped by the skew filter");
    lines.push(`wz_dropped_groups_total ${this.droppedGroups}`);
    metric("wz_masked_samples_total", "counter", "responses masked because their comparison failed");
    lines.push(`wz_masked_samples_total ${this.maskedSamples}`);
    for (const [name, value] of Object.entries(gauges)) {
      metric(name, "gauge", name.replaceAll("_", " "));
      lines.push(`${name} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
