// The group barrier for engines that send one sample per request (OpenRLHF's remote reward).
// Samples are buffered by group key until the group has `size` samples, then scored together and
// every waiting request gets its own answer. A group that does not fill before its deadline is
// rejected with an error naming the group and the count it got. A retried sample (same group and
// the same sample identity) joins its first copy and gets the same answer, never a second slot.

export class BarrierError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface BarrierOptions<R> {
  size: number;
  deadlineMs: number;
  /** Most samples waiting across all groups; beyond it, join() rejects with status 429. */
  maxPending: number;
  /** Scores one full group; returns one answer per sample, in arrival order. */
  score: (key: string, samples: string[]) => Promise<R[]>;
  /** How many recently scored groups to remember for retries. */
  remember?: number;
}

interface Slot<R> {
  identity: string;
  response: string;
  promise: Promise<R>;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface PendingGroup<R> {
  slots: Slot<R>[];
  timer: NodeJS.Timeout;
}

export class GroupBarrier<R> {
  private readonly pending = new Map<string, PendingGroup<R>>();
  private readonly scoring = new Set<Promise<unknown>>();
  private readonly done = new Map<string, Map<string, R>>();
  private closed = false;
  pendingSamples = 0;
  groupsScored = 0;
  groupsExpired = 0;

  constructor(private readonly options: BarrierOptions<R>) {}

  join(key: string, identity: string, response: string): Promise<R> {
    const answered = this.done.get(key)?.get(identity);
    if (answered !== undefined) return Promise.resolve(answered);
    const group = this.pending.get(key);
    const existing = group?.slots.find((s) => s.identity === identity);
    if (existing) return existing.promise;
    if (this.closed) return Promise.reject(new BarrierError("the reward service is shutting down", 503));
    if (this.pendingSamples >= this.options.maxPending) {
      return Promise.reject(new BarrierError(`queue full (${this.pendingSamples} samples waiting)`, 429));
    }
    let g = group;
    if (!g) {
      const timer = setTimeout(() => this.expire(key), this.options.deadlineMs);
      timer.unref();
      g = { slots: [], timer };
      this.pending.set(key, g);
    }
    let resolve!: (r: R) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // the caller handles it; avoid unhandled rejections for abandoned retries
    g.slots.push({ identity, response, promise, resolve, reject });
    this.pendingSamples++;
    if (g.slots.length >= this.options.size) this.fire(key, g);
    return promise;
  }

  private fire(key: string, g: PendingGroup<R>): void {
    clearTimeout(g.timer);
    this.pending.delete(key);
    this.pendingSamples -= g.slots.length;
    const job = this.options
      .score(
        key,
        g.slots.map((s) => s.response),
      )
      .then(
        (answers) => {
          const memory = new Map<string, R>();
          g.slots.forEach((s, i) => {
            memory.set(s.identity, answers[i]);
            s.resolve(answers[i]);
          });
          this.remember(key, memory);
          this.groupsScored++;
        },
        (e: Error) => {
          for (const s of g.slots)
            s.reject(new BarrierError(`scoring group "${key}" failed: ${e.message}`, 502));
        },
      );
    this.scoring.add(job);
    job.finally(() => this.scoring.delete(job));
  }

  private remember(key: string, answers: Map<string, R>): void {
    this.done.set(key, answers);
    const limit = this.options.remember ?? 4096;
    while (this.done.size > limit) this.done.delete(this.done.keys().next().value as string);
  }

  private expire(key: string): void {
    const g = this.pending.get(key);
    if (!g) return;
    this.pending.delete(key);
    this.pendingSamples -= g.slots.length;
    this.groupsExpired++;
    const err = new BarrierError(
      `group "${key}" got ${g.slots.length} of ${this.options.size} samples before its ${this.options.deadlineMs} ms deadline`,
      504,
    );
    for (const s of g.slots) s.reject(err);
  }

  get pendingGroups(): number {
    return this.pending.size;
  }

  /** Stops accepting samples, rejects groups that cannot fill, and waits for groups being scored. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [key, g] of this.pending) {
      clearTimeout(g.timer);
      for (const s of g.slots)
        s.reject(
          new BarrierError(
            `the reward service is shutting down; group "${key}" had ${g.slots.length} of ${this.options.size} samples`,
            503,
          ),
        );
    }
    this.pendingSamples = 0;
    this.pending.clear();
    await Promise.all([...this.scoring]);
  }
}
