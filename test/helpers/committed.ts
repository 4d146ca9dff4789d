// How many steps a running `wz train` has committed to its run.sqlite, read without disturbing it:
// the tests that kill a run mid-way poll this to choose their moment.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

export function committedSteps(runDir: string): number {
  const db = join(runDir, "run.sqlite");
  if (!existsSync(db)) return 0;
  let conn: Database.Database | undefined;
  try {
    conn = new Database(db, { readonly: true, fileMustExist: true });
    return (conn.prepare("SELECT COUNT(*) AS n FROM steps").get() as { n: number }).n;
  } catch (e) {
    // Only "the tables are not there yet" is expected; anything else is a real failure.
    if (!/no such table|database is locked|SQLITE_BUSY/i.test((e as Error).message)) throw e;
    return 0;
  } finally {
    conn?.close();
  }
}
