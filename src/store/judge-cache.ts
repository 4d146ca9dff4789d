// The judge's reply cache in SQLite: one row per successful condition, keyed by everything that
// determines the reply (see conditionKey). Failures are never written, so a re-run retries them.
import Database from "better-sqlite3";
import type { CachedReply, ReplyCache } from "../judge/genrm.ts";

export class SqliteReplyCache implements ReplyCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement;
  private readonly setStmt: Database.Statement;
  hits = 0;
  misses = 0;

  constructor(path: string) {
    try {
      this.db = new Database(path);
      this.db.pragma("journal_mode = WAL");
    } catch (e) {
      throw new Error(
        `judge reply cache ${path} cannot be opened: ${(e as Error).message} (delete it to start a new cache, or run with --no-cache / judge.cache: "")`,
      );
    }
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS judge_replies (
      key TEXT PRIMARY KEY,
      raw TEXT NOT NULL,
      usage TEXT,
      latency_ms REAL NOT NULL,
      created_at TEXT NOT NULL DEFAULT (datetime('now'))
    )`);
    this.getStmt = this.db.prepare("SELECT raw, usage, latency_ms FROM judge_replies WHERE key = ?");
    this.setStmt = this.db.prepare(
      "INSERT OR REPLACE INTO judge_replies (key, raw, usage, latency_ms) VALUES (?, ?, ?, ?)",
    );
  }

  get(key: string): CachedReply | undefined {
    const row = this.getStmt.get(key) as
      | { raw: string; usage: string | null; latency_ms: number }
      | undefined;
    if (!row) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { raw: row.raw, usage: row.usage ? JSON.parse(row.usage) : null, latencyMs: row.latency_ms };
  }

  set(key: string, value: CachedReply): void {
    this.setStmt.run(key, value.raw, value.usage ? JSON.stringify(value.usage) : null, value.latencyMs);
  }

  close(): void {
    this.db.close();
  }
}
