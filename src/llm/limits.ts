// Admission control for remote calls: a concurrency semaphore and a sliding one-minute window
// for requests-per-minute and tokens-per-minute budgets.

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`concurrency must be at least 1, got ${limit}`);
  }
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
  get inFlight(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }
}

/** Budgets over a sliding 60 s window. `amount` is 1 for requests, a token estimate for tokens. */
export class MinuteWindow {
  private readonly events: { t: number; amount: number }[] = [];
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  private used(t: number): number {
    while (this.events.length > 0 && this.events[0].t <= t - 60_000) this.events.shift();
    return this.events.reduce((s, e) => s + e.amount, 0);
  }

  /** Waits until `amount` fits in the window, then records it. */
  async take(amount: number): Promise<void> {
    const want = Math.min(amount, this.perMinute); // one oversized request must still go through eventually
    for (;;) {
      const t = this.now();
      if (this.used(t) + want <= this.perMinute) {
        this.events.push({ t, amount: want });
        return;
      }
      // Re-check at least every second (cheap, and robust to clock changes).
      const wait = Math.min(1000, Math.max(10, this.events[0].t + 60_000 - t));
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  return random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}
