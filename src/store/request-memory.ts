// Answers to whole /get_reward requests, so that a retry can get its first answer. A retry is the
// same request again (the same queries, prompts and labels); the service decides, by time and by
// what else is arriving for the same group, whether an identical request is a retry or a new
// sample that happens to repeat (see app.ts). With a file, answers survive a restart of the
// service (SQLite), so a restart neither forgets nor changes them.
import { createHash } from "node:crypto";
import Database from "better-sqlite3";

export function requestFingerprint(body: unknown): string {
  return createHash("sha256").update(JSON.stringify(body)).digest("hex");
}

export interface RequestMemoryOptions {
  /** How long an answer is served to retries (ms). */
  windowMs: number;
  /** SQLite file for answers that must survive a restart; none: in memory only. */
  path?: string;
  /** Most answers kept (oldest dropped first). */
  limit?: number;
  now?: () => number;
}

export class RequestMemory<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly answers = new Map<string, { at: number; value: T }>();
  private readonly db?: Database.Database;
  private readonly now: () => number;

  constructor(private readonly o: RequestMemoryOptions) {
    this.now = o.now ?? Date.now;
    if (o.path) {
      try {
        this.db = new Database(o.path);
        this.db.pragma("journal_mode = WAL");
        this.db.exec(
          "CREATE TABLE IF NOT EXISTS answers (fingerprint TEXT PRIMARY KEY, at INTEGER NOT NULL, value TEXT NOT NULL)",
        );
      } catch (e) {
        throw new Error(`request memory ${o.path} cannot be opened: ${(e as Error).message}`);
      }
    }
  }

  /** The answer a retry of this request would get, if one is remembered within the window. */
  remembered(fp: string): T | undefined {
    const mem = this.answers.get(fp);
    if (mem) return this.now() - mem.at <= this.o.windowMs ? mem.value : undefined;
    const row = this.db?.prepare("SELECT at, value FROM answers WHERE fingerprint = ?").get(fp) as
      | { at: number; value: string }
      | undefined;
    if (row && this.now() - row.at <= this.o.windowMs) return JSON.parse(row.value) as T;
    return undefined;
  }

  /** The computation of an identical request still in flight, if any. */
  running(fp: string): Promise<T> | undefined {
    return this.inFlight.get(fp);
  }

  /**
   * Computes the answer, marking it in flight meanwhile; `keep(answer)` decides whether it may be
   * served to retries (an answer with a failed judgement must not be: a retry after the judge
   * recovers is judged again).
   */
  async compute(fp: string, run: () => Promise<T>, keep: (answer: T) => boolean): Promise<T> {
    const job = run();
    this.inFlight.set(fp, job);
    try {
      const value = await job;
      if (keep(value)) this.store(fp, value);
      return value;
    } finally {
      if (this.inFlight.get(fp) === job) this.inFlight.delete(fp);
    }
  }

  private store(fp: string, value: T): void {
    const at = this.now();
    this.answers.set(fp, { at, value });
    const limit = this.o.limit ?? 100_000;
    while (this.answers.size > limit) this.answers.delete(this.answers.keys().next().value as string);
    this.db
      ?.prepare("INSERT OR REPLACE INTO answers (fingerprint, at, value) VALUES (?, ?, ?)")
      .run(fp, at, JSON.stringify(value));
  }

  close(): void {
    this.db?.close();
  }
}
