// The run database: one SQLite file per run holding the resolved config, every step's metrics,
// every rollout with its advantage, every group's reference and every judge condition. A step
// is written in one transaction, so a run killed at any moment holds only whole steps.
import Database from "better-sqlite3";

export interface RolloutRow {
  step: number;
  group: number;
  member: number;
  promptId: string;
  text: string;
  tokens: number;
  finishReason: string;
  advantage: number;
  masked: boolean;
  isReference: boolean;
  reward: number | null;
}

export interface GroupRow {
  step: number;
  group: number;
  promptId: string;
  prompt: string;
  referenceIndices: number[];
  dropped: boolean;
  stats: unknown;
}

export interface ComparisonRow {
  step: number;
  group: number;
  member: number;
  against: number;
  outcome: string;
  score: number | null;
  verdict: unknown;
}

export interface StepRecord {
  step: number;
  metrics: Record<string, number | null>;
  groups: GroupRow[];
  rollouts: RolloutRow[];
  comparisons: ComparisonRow[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (step INTEGER PRIMARY KEY, metrics TEXT NOT NULL, completed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prompts (id TEXT PRIMARY KEY, prompt TEXT NOT NULL, split TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
  step INTEGER NOT NULL, grp INTEGER NOT NULL, prompt_id TEXT NOT NULL, prompt TEXT NOT NULL,
  reference_indices TEXT NOT NULL, dropped INTEGER NOT NULL, stats TEXT NOT NULL,
  PRIMARY KEY (step, grp));
CREATE TABLE IF NOT EXISTS rollouts (
  step INTEGER NOT NULL, grp INTEGER NOT NULL, member INTEGER NOT NULL, prompt_id TEXT NOT NULL,
  text TEXT NOT NULL, tokens INTEGER NOT NULL, finish_reason TEXT NOT NULL, advantage REAL NOT NULL,
  masked INTEGER NOT NULL, is_reference INTEGER NOT NULL, reward REAL,
  PRIMARY KEY (step, grp, member));
CREATE TABLE IF NOT EXISTS comparisons (
  step INTEGER NOT NULL, grp INTEGER NOT NULL, member INTEGER NOT NULL, against INTEGER NOT NULL,
  outcome TEXT NOT NULL, score REAL, verdict TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evals (name TEXT PRIMARY KEY, result TEXT NOT NULL, created_at TEXT NOT NULL);
`;

export class RunStore {
  readonly db: Database.Database;

  private readonly writable: boolean;

  /** Opens (or creates) a run database; errors name the file and say what to do. */
  constructor(
    readonly path: string,
    options: { readonly?: boolean } = {},
  ) {
    this.writable = !options.readonly;
    try {
      this.db = new Database(path, {
        readonly: options.readonly ?? false,
        fileMustExist: options.readonly ?? false,
      });
      if (!options.readonly) {
        this.db.pragma("journal_mode = WAL");
        this.db.exec(SCHEMA);
      } else this.db.prepare("SELECT 1 FROM sqlite_master LIMIT 1").get();
    } catch (e) {
      throw new RunStoreError(path, e as Error);
    }
  }

  setMeta(key: string, value: unknown): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, JSON.stringify(value));
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Whether this is a wz run's database: it has our meta table and a config in it. */
  isRun(): boolean {
    const table = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    return table !== undefined && this.getMeta<unknown>("config") !== undefined;
  }

  addPrompts(prompts: { id: string; prompt: string }[], split: string): void {
    const stmt = this.db.prepare("INSERT OR REPLACE INTO prompts (id, prompt, split) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const p of prompts) stmt.run(p.id, p.prompt, split);
    })();
  }

  /** The last step whose transaction committed, or -1. */
  lastCompletedStep(): number {
    const row = this.db.prepare("SELECT MAX(step) AS s FROM steps").get() as { s: number | null };
    return row.s ?? -1;
  }

  commitStep(rec: StepRecord): void {
    const insertGroup = this.db.prepare(
      "INSERT OR REPLACE INTO groups (step, grp, prompt_id, prompt, reference_indices, dropped, stats) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertRollout = this.db.prepare(
      `INSERT OR REPLACE INTO rollouts (step, grp, member, prompt_id, text, tokens, finish_reason, advantage, masked, is_reference, reward)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertComparison = this.db.prepare(
      "INSERT INTO comparisons (step, grp, member, against, outcome, score, verdict) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.db.transaction(() => {
      // A step interrupted before its commit left nothing, but clear defensively for re-runs.
      this.db.prepare("DELETE FROM comparisons WHERE step = ?").run(rec.step);
      for (const g of rec.groups) {
        insertGroup.run(
          g.step,
          g.group,
          g.promptId,
          g.prompt,
          JSON.stringify(g.referenceIndices),
          g.dropped ? 1 : 0,
          JSON.stringify(g.stats),
        );
      }
      for (const r of rec.rollouts) {
        insertRollout.run(
          r.step,
          r.group,
          r.member,
          r.promptId,
          r.text,
          r.tokens,
          r.finishReason,
          r.advantage,
          r.masked ? 1 : 0,
          r.isReference ? 1 : 0,
          r.reward,
        );
      }
      for (const c of rec.comparisons) {
        insertComparison.run(
          c.step,
          c.group,
          c.member,
          c.against,
          c.outcome,
          c.score,
          JSON.stringify(c.verdict),
        );
      }
      this.db
        .prepare("INSERT OR REPLACE INTO steps (step, metrics, completed_at) VALUES (?, ?, datetime('now'))")
        .run(rec.step, JSON.stringify(rec.metrics));
    })();
  }

  stepMetrics(): { step: number; metrics: Record<string, number | null>; completedAt: string }[] {
    return (
      this.db.prepare("SELECT step, metrics, completed_at FROM steps ORDER BY step").all() as {
        step: number;
        metrics: string;
        completed_at: string;
      }[]
    ).map((r) => ({ step: r.step, metrics: JSON.parse(r.metrics), completedAt: r.completed_at }));
  }

  groups(step: number): GroupRow[] {
    return (
      this.db.prepare("SELECT * FROM groups WHERE step = ? ORDER BY grp").all(step) as Record<
        string,
        unknown
      >[]
    ).map((r) => ({
      step: r.step as number,
      group: r.grp as number,
      promptId: r.prompt_id as string,
      prompt: r.prompt as string,
      referenceIndices: JSON.parse(r.reference_indices as string),
      dropped: r.dropped === 1,
      stats: JSON.parse(r.stats as string),
    }));
  }

  rollouts(step: number): RolloutRow[] {
    return (
      this.db.prepare("SELECT * FROM rollouts WHERE step = ? ORDER BY grp, member").all(step) as Record<
        string,
        unknown
      >[]
    ).map((r) => ({
      step: r.step as number,
      group: r.grp as number,
      member: r.member as number,
      promptId: r.prompt_id as string,
      text: r.text as string,
      tokens: r.tokens as number,
      finishReason: r.finish_reason as string,
      advantage: r.advantage as number,
      masked: r.masked === 1,
      isReference: r.is_reference === 1,
      reward: r.reward as number | null,
    }));
  }

  comparisons(step: number): ComparisonRow[] {
    return (
      this.db.prepare("SELECT * FROM comparisons WHERE step = ? ORDER BY grp, member").all(step) as Record<
        string,
        unknown
      >[]
    ).map((r) => ({
      step: r.step as number,
      group: r.grp as number,
      member: r.member as number,
      against: r.against as number,
      outcome: r.outcome as string,
      score: r.score as number | null,
      verdict: JSON.parse(r.verdict as string),
    }));
  }

  setEval(name: string, result: unknown): void {
    this.db
      .prepare("INSERT OR REPLACE INTO evals (name, result, created_at) VALUES (?, ?, datetime('now'))")
      .run(name, JSON.stringify(result));
  }

  getEval<T>(name: string): T | undefined {
    const row = this.db.prepare("SELECT result FROM evals WHERE name = ?").get(name) as
      | { result: string }
      | undefined;
    return row ? (JSON.parse(row.result) as T) : undefined;
  }

  /**
   * A writer leaves a plain (rollback-journal) database behind, so that readers need no -wal or
   * -shm files beside it: a finished run can be read from a read-only folder or medium.
   */
  close(): void {
    if (this.writable) {
      try {
        this.db.pragma("journal_mode = DELETE");
      } catch {
        // another connection still holds the WAL: it stays in WAL mode, which is also valid
      }
    }
    this.db.close();
  }
}

/** A run database that cannot be opened, with the path and the likely cause in the message. */
export class RunStoreError extends Error {
  constructor(path: string, cause: Error) {
    const code = (cause as { code?: string }).code ?? "";
    const hint =
      code === "SQLITE_CANTOPEN" || code === "SQLITE_READONLY"
        ? " (the folder may be read-only, or a -wal/-shm file beside it unreadable; copy the run folder somewhere writable)"
        : code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT"
          ? " (the file is not an intact SQLite database)"
          : "";
    super(`cannot open run database ${path}: ${cause.message}${hint}`);
    this.name = "RunStoreError";
  }
}
