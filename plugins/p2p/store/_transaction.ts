/**
 * One SQLite transaction around several statements, so that a group of
 * messages costs one commit (one fsync with synchronous=FULL) instead of one
 * each.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";

/** Runs `fn` inside BEGIN IMMEDIATE ... COMMIT; rolls back and rethrows when it throws. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}
