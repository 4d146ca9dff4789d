// The group barrier for engines that send one sample (or a few) per request (OpenRLHF's remote
// reward). Samples are buffered by group key until the group has `size` samples, then scored
// together and every waiting request gets its own answer. A group that does not fill before its
// deadline is rejected with an error naming the group and the count it got.
//
// Every sample takes its own slot: two samples with the same text are two samples (short answers
// repeat). The exception is a sample that names itself: a second arrival of the same sample id
// (an engine's retry) shares the first one's slot and answer. A sample may carry a fallback, the
// answer an identical earlier request got: it is used only if the group expires holding nothing
// but such samples (then they were retries of answered requests, not a new group). Otherwise a
// sample never receives an answer from an earlier group. The group is scored in a canonical
// order (by text), so its answers do not depend on the order in which samples arrived.

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
  /** Most bytes of samples waiting across all groups; beyond it, join() rejects with status 429. */
  maxPendingBytes?: number;
  /** Scores one full group; returns one answer per sample, in the order given. */
  score: (key: string, samples: string[]) => Promise<R[]>;
}

interface Slot<R> {
  response: string;
  bytes: number;
  sampleId?: string;
  fallback?: R;
  /** Requests waiting on this slot (a retry of a named sample shares it). */
  waiters: number;
  promise: Promise<R>;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export interface JoinOptions<R> {
  /** Samples waiting for this many in their group (a new group takes it; default: the barrier's). */
  size?: number;
  /** The sample's own id within its group: a second arrival with the same id is the same sample. */
  sampleId?: string;
  /** The answer an identical earlier request got; used only if the group expires with nothing else. */
  fallback?: R;
  /** Bytes the waiting request holds (its query and prompt); default: the response's. */
  bytes?: number;
  /** The client's disconnect: its slot is freed (while the group fills), bytes included. */
  signal?: AbortSignal;
}

interface PendingGroup<R> {
  slots: Slot<R>[];
  /** Samples this group waits for: the barrier's size, or the size its first sample asked for. */
  size: number;
  timer: NodeJS.Timeout;
}

export class GroupBarrier<R> {
  private readonly pending = new Map<string, PendingGroup<R>>();
  private readonly scoring = new Set<Promise<unknown>>();
  private closed = false;
  pendingSamples = 0;
  pendingBytes = 0;
  groupsScored = 0;
  groupsExpired = 0;
  /** Samples whose clients left before their group filled (their slots were freed). */
  samplesAbandoned = 0;

  constructor(private readonly options: BarrierOptions<R>) {}

  /** Adds a sample to its group. `size` overrides the barrier's size for a new group (an
   * engine's evaluation groups, say); a sample that asks for another size than its filling group
   * is rejected with status 400. */
  join(key: string, response: string, options: JoinOptions<R> = {}): Promise<R> {
    const { size, sampleId } = options;
    const filling = this.pending.get(key);
    const same = sampleId === undefined ? undefined : filling?.slots.find((s) => s.sampleId === sampleId);
    if (same) {
      // A retry of a sample still waiting: the same slot, so the same answer, and no second place.
      if (same.response === response) {
        this.watch(key, same, options.signal);
        return same.promise;
      }
      return Promise.reject(
        new BarrierError(
          `sample "${sampleId}" of group "${groupLabel(key)}" is already waiting with another response`,
          409,
        ),
      );
    }
    if (this.closed) return Promise.reject(new BarrierError("the reward service is shutting down", 503));
    if (this.pendingSamples >= this.options.maxPending) {
      return Promise.reject(
        new BarrierError(
          `queue full: ${this.pendingSamples} samples waiting (limit ${this.options.maxPending})`,
          429,
        ),
      );
    }
    const bytes = options.bytes ?? Buffer.byteLength(response);
    const maxBytes = this.options.maxPendingBytes ?? Number.POSITIVE_INFINITY;
    if (this.pendingBytes + bytes > maxBytes) {
      return Promise.reject(
        new BarrierError(
          `queue full: ${this.pendingBytes} bytes of samples waiting (limit ${maxBytes} bytes)`,
          429,
        ),
      );
    }
    let g = this.pending.get(key);
    if (g && size !== undefined && size !== g.size) {
      return Promise.reject(
        new BarrierError(
          `group "${groupLabel(key)}" is filling to ${g.size} samples; this sample asks for ${size}`,
          400,
        ),
      );
    }
    if (!g) {
      const timer = setTimeout(() => this.expire(key), this.options.deadlineMs);
      timer.unref();
      g = { slots: [], size: size ?? this.options.size, timer };
      this.pending.set(key, g);
    }
    let resolve!: (r: R) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // the caller handles it; avoid unhandled rejections for abandoned requests
    const slot: Slot<R> = {
      response,
      bytes,
      sampleId,
      fallback: options.fallback,
      waiters: 0,
      promise,
      resolve,
      reject,
    };
    g.slots.push(slot);
    // A group of repeats may be answered at its deadline (see expire): that timer must run.
    if (options.fallback !== undefined) g.timer.ref();
    this.watch(key, slot, options.signal);
    this.pendingSamples++;
    this.pendingBytes += bytes;
    if (g.slots.length >= g.size) this.fire(key, g);
    return promise;
  }

  /** Counts a request waiting on the slot; when every one of them has left, the slot is freed. */
  private watch(key: string, slot: Slot<R>, signal: AbortSignal | undefined): void {
    slot.waiters++;
    signal?.addEventListener(
      "abort",
      () => {
        slot.waiters--;
        const g = this.pending.get(key);
        if (slot.waiters > 0 || !g || !g.slots.includes(slot)) return;
        g.slots.splice(g.slots.indexOf(slot), 1);
        this.pendingSamples--;
        this.pendingBytes -= slot.bytes;
        this.samplesAbandoned++;
        slot.reject(new BarrierError("the client disconnected", 499));
        if (g.slots.length === 0) {
          clearTimeout(g.timer);
          this.pending.delete(key);
        }
      },
      { once: true },
    );
  }

  private release(g: PendingGroup<R>): void {
    this.pendingSamples -= g.slots.length;
    this.pendingBytes -= g.slots.reduce((s, x) => s + x.bytes, 0);
  }

  private fire(key: string, g: PendingGroup<R>): void {
    clearTimeout(g.timer);
    this.pending.delete(key);
    this.release(g);
    // Canonical order: the same set of samples is scored the same way whatever their arrival order.
    const order = g.slots.map((_, i) => i).sort((a, b) => compare(g.slots[a].response, g.slots[b].response));
    const job = this.options
      .score(
        key,
        order.map((i) => g.slots[i].response),
      )
      .then(
        (answers) => {
          order.forEach((slot, k) => {
            g.slots[slot].resolve(answers[k]);
          });
          this.groupsScored++;
        },
        (e: Error) => {
          for (const s of g.slots)
            s.reject(new BarrierError(`scoring group "${groupLabel(key)}" failed: ${e.message}`, 502));
        },
      );
    this.scoring.add(job);
    job.finally(() => this.scoring.delete(job));
  }

  private expire(key: string): void {
    const g = this.pending.get(key);
    if (!g) return;
    this.pending.delete(key);
    this.release(g);
    // Only repeats of answered requests and no new sample: they were retries. Their earlier
    // answers are served; no group of the new kind ever formed.
    if (g.slots.every((s) => s.fallback !== undefined)) {
      for (const s of g.slots) s.resolve(s.fallback as R);
      return;
    }
    this.groupsExpired++;
    const err = new BarrierError(
      `group "${groupLabel(key)}" got ${g.slots.length} of ${g.size} samples before its ${this.options.deadlineMs} ms deadline`,
      504,
    );
    for (const s of g.slots) s.reject(err);
  }

  /** Whether a group for this key is filling (samples arriving for it now). */
  isFilling(key: string): boolean {
    return this.pending.has(key);
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
            `the reward service is shutting down; group "${groupLabel(key)}" had ${g.slots.length} of ${g.size} samples`,
            503,
          ),
        );
    }
    this.pendingSamples = 0;
    this.pendingBytes = 0;
    this.pending.clear();
    await Promise.all([...this.scoring]);
  }
}

/** A group key as people read it: its parts (prompt, step, group label) joined by " / ". */
export function groupLabel(key: string): string {
  return key.split("\u0000").filter(Boolean).join(" / ");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
