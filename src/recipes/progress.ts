// A progress line on stderr: done/total, rate, ETA. Redraws in place on a terminal; on a pipe
// or in CI it prints a plain line every few seconds instead of flooding the log.

export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private done = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  tick(n = 1, extra = ""): void {
    this.done += n;
    const now = performance.now();
    const interval = this.stream.isTTY ? 100 : 5000;
    if (now - this.lastDraw < interval && this.done < this.total) return;
    this.lastDraw = now;
    this.draw(extra);
  }

  private draw(extra: string): void {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = this.done / Math.max(seconds, 1e-9);
    const eta = rate > 0 ? (this.total - this.done) / rate : Number.POSITIVE_INFINITY;
    const width = 24;
    const filled = this.total > 0 ? Math.round((width * this.done) / this.total) : width;
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    const line = `${this.label} [${bar}] ${this.done}/${this.total} ${rate.toFixed(1)}/s ETA ${formatSeconds(eta)}${extra ? ` ${extra}` : ""}`;
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write("\n");
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
