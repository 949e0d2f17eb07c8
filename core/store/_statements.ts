/**
 * Prepared statements, prepared once per database and SQL text and then
 * reused: node:sqlite parses and plans the SQL again on every prepare(),
 * which cost about 0.15 ms per message in the daemon (docs/benchmarks.md).
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

const cache = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** The prepared statement of `sql` on `db`, prepared on first use. */
export function prepared(db: DatabaseSync, sql: string): StatementSync {
  let statements = cache.get(db);
  if (statements === undefined) {
    statements = new Map();
    cache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
