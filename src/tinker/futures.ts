// The API's futures: every operation answers at once with a request id, runs later, and its result
// is fetched with retrieve_future (a long poll that answers "try again" while it runs).
//
// A training model's operations carry seq_id 1, 2, 3, ... in the order the client issued them;
// the SDK sends the chunks of one forward_backward concurrently, so they can arrive out of order.
// Each model's lane runs them strictly by seq_id, and a request whose (model, seq_id) was seen
// already is a retry: it gets the first one's request id, never a second run. Operations without a
// seq_id (sampling, model creation) run as they come; a caller-supplied key makes them idempotent
// too.
import { UserError } from "./errors.ts";

export type Outcome =
  | { state: "pending" }
  | { state: "done"; value: unknown }
  | { state: "failed"; error: string; category: "user" | "server" };

interface Task {
  id: string;
  run: () => unknown | Promise<unknown>;
  outcome: Outcome;
  waiters: (() => void)[];
}

interface Lane {
  name: string;
  next: number;
  /** Set while operations wait behind a seq_id that has not arrived. */
  gap: NodeJS.Timeout | null;
  waiting: Map<number, Task>;
  seen: Map<number, string>;
  running: boolean;
}

export class Futures {
  private readonly tasks = new Map<string, Task>();
  private readonly lanes = new Map<string, Lane>();
  private readonly keyed = new Map<string, string>();
  private counter = 0;

  constructor(
    /** Results kept for retrieval; the oldest finished ones go first. */
    private readonly maxKept = 10_000,
    /** Operations admitted but not finished; more are refused (HTTP 429). */
    readonly maxPending = 256,
    /**
     * How long operations wait behind a missing seq_id (a client that reserved it and never sent
     * it) before they fail, naming it, so that one lost request cannot stall a model for ever.
     */
    readonly gapTimeoutMs = 120_000,
  ) {}

  get pending(): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.outcome.state === "pending") n++;
    return n;
  }

  /**
   * Queues `run`. With `lane` it runs in seq_id order within that lane; with `key`, a second
   * submit of the same key returns the first request id.
   */
  submit(run: Task["run"], options: { lane?: { name: string; seq: number }; key?: string } = {}): string {
    if (options.key) {
      const id = this.keyed.get(options.key);
      if (id) return id;
    }
    if (options.lane) {
      const lane = this.laneOf(options.lane.name);
      const seen = lane.seen.get(options.lane.seq);
      if (seen) return seen;
      if (options.lane.seq < lane.next)
        throw new UserError(
          `seq_id ${options.lane.seq} of ${options.lane.name} is behind its lane: it ran already and its result is gone, or the lane moved on after waiting for it`,
        );
    }
    if (this.pending >= this.maxPending) throw new QueueFull(`${this.maxPending} operations are pending`);
    const task: Task = { id: `req-${++this.counter}`, run, outcome: { state: "pending" }, waiters: [] };
    this.tasks.set(task.id, task);
    if (options.key) this.keyed.set(options.key, task.id);
    if (options.lane) {
      const lane = this.laneOf(options.lane.name);
      lane.seen.set(options.lane.seq, task.id);
      lane.waiting.set(options.lane.seq, task);
      setImmediate(() => void this.drain(lane));
    } else setImmediate(() => void this.execute(task));
    this.forgetOld();
    return task.id;
  }

  /** The lane's first seq_id: a model's operations start after the seq the client chose for it. */
  openLane(name: string, firstSeq: number): void {
    if (!this.lanes.has(name))
      this.lanes.set(name, {
        name,
        next: firstSeq,
        gap: null,
        waiting: new Map(),
        seen: new Map(),
        running: false,
      });
  }

  /** The outcome of `id`, waiting up to `waitMs` for a pending one to finish. */
  async retrieve(id: string, waitMs: number): Promise<Outcome | null> {
    const task = this.tasks.get(id);
    if (!task) return null;
    if (task.outcome.state === "pending" && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        task.waiters.push(done);
      });
    }
    return task.outcome;
  }

  private laneOf(name: string): Lane {
    this.openLane(name, 1);
    return this.lanes.get(name)!;
  }

  private async drain(lane: Lane): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      for (;;) {
        const task = lane.waiting.get(lane.next);
        if (!task) {
          if (lane.waiting.size > 0 && !lane.gap)
            lane.gap = setTimeout(() => this.expireGap(lane), this.gapTimeoutMs);
          return;
        }
        if (lane.gap) clearTimeout(lane.gap);
        lane.gap = null;
        lane.waiting.delete(lane.next);
        lane.next++;
        await this.execute(task);
      }
    } finally {
      lane.running = false;
    }
  }

  /** The operations waiting behind a seq_id that never came fail, and the lane moves past them. */
  private expireGap(lane: Lane): void {
    lane.gap = null;
    if (lane.running || lane.waiting.has(lane.next) || lane.waiting.size === 0) return;
    const seqs = [...lane.waiting.keys()].sort((a, b) => a - b);
    const error =
      `seq_id ${lane.next} of ${lane.name} never arrived within ${this.gapTimeoutMs / 1000} s; ` +
      `the operations after it (seq_id ${seqs.join(", ")}) were not run: send them again with new seq_ids`;
    for (const task of lane.waiting.values()) {
      task.outcome = { state: "failed", error, category: "user" };
      for (const w of task.waiters.splice(0)) w();
    }
    lane.waiting.clear();
    lane.next = seqs[seqs.length - 1] + 1;
  }

  private async execute(task: Task): Promise<void> {
    try {
      task.outcome = { state: "done", value: await task.run() };
    } catch (e) {
      const category = e instanceof UserError ? "user" : "server";
      task.outcome = { state: "failed", error: (e as Error).message, category };
    }
    for (const w of task.waiters.splice(0)) w();
  }

  private forgetOld(): void {
    if (this.tasks.size <= this.maxKept) return;
    for (const [id, t] of this.tasks) {
      if (this.tasks.size <= this.maxKept) break;
      if (t.outcome.state !== "pending") this.tasks.delete(id);
    }
  }
}

export class QueueFull extends Error {}
