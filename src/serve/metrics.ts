// Counters and gauges for GET /metrics, in the Prometheus text format.

export class ServiceMetrics {
  readonly requests = new Map<string, number>();
  readonly errors = new Map<string, number>();
  latencySum = 0;
  latencyCount = 0;
  judgeCalls = 0;
  judgeFailures = 0;
  groupsScored = 0;
  droppedGroups = 0;
  maskedSamples = 0;

  request(route: string, status: number, ms: number): void {
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
    for (const [route, n] of this.requests) lines.push(`wz_requests_total{route="${route}"} ${n}`);
    metric("wz_request_errors_total", "counter", "HTTP error responses by route and status");
    for (const [key, n] of this.errors) {
      const [route, status] = key.split(" ");
      lines.push(`wz_request_errors_total{route="${route}",status="${status}"} ${n}`);
    }
    metric("wz_request_duration_seconds", "summary", "request latency");
    lines.push(
      `wz_request_duration_seconds_sum ${this.latencySum}`,
      `wz_request_duration_seconds_count ${this.latencyCount}`,
    );
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
