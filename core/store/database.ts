/**
 * Opening SQLite databases the node's way (node:sqlite, WAL, busy timeout,
 * foreign keys, synchronous FULL by default, owner-only files) and
 * migrating them by `PRAGMA user_version`: the node's state.db and each
 * plugin's own database. A plugin may adopt tables an earlier Meteor kept in
 * state.db (docs/plugins.md §Tables).
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { MeteorError } from "../errors.ts";

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Migration i moves the database from `PRAGMA user_version` i to i + 1. */
  migrations: readonly string[];
  /**
   * "full" (default) syncs every commit, so an acknowledged write survives
   * power loss; "normal" survives a process crash but may lose the last
   * commits on power loss, and is faster.
   */
  synchronous?: "full" | "normal";
  /** What the database is, for error messages ("state", "plugin p2p"). */
  label?: string;
}

/**
 * Creates the database file, if missing, readable by its owner only: it holds
 * contacts and messages. SQLite gives its -wal and -shm files the same mode.
 */
function createPrivately(path: string): void {
  const file = Deno.openSync(path, { create: true, write: true, mode: 0o600 });
  file.close();
  if (Deno.build.os !== "windows") Deno.chmodSync(path, 0o600);
}

function migrate(db: DatabaseSync, migrations: readonly string[], label: string): void {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (version > migrations.length) {
    throw new MeteorError(
      "E_IO",
      `Cannot open ${label}: schema version ${version} is newer than this Meteor's (${migrations.length})`,
    );
  }
  for (let v = version; v < migrations.length; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(migrations[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw new MeteorError("E_IO", `Cannot migrate ${label} to version ${v + 1}`, { cause: err });
    }
  }
}

/**
 * Opens (creating if needed) and migrates the SQLite database at `path`;
 * ":memory:" gives a private in-memory database for tests.
 *
 * @throws {MeteorError} E_IO when it cannot be opened or migrated
 *
 * @example
 * ```ts
 * import { openDatabase } from "./database.ts";
 * const db = openDatabase(":memory:", { migrations: ["CREATE TABLE t (x INTEGER) STRICT"] });
 * db.close();
 * ```
 */
export function openDatabase(path: string, options: OpenDatabaseOptions): DatabaseSync {
  const { migrations, synchronous = "full", label = "database" } = options;
  let db: DatabaseSync;
  try {
    if (path !== ":memory:") createPrivately(path);
    db = new DatabaseSync(path);
  } catch (err) {
    throw new MeteorError("E_IO", `Cannot open ${label}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    // A second process (the CLI while the daemon runs) waits for locks instead of failing.
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db, migrations, label);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

const TABLE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Moves `tables` from the database at `legacyPath` into `db`, whose tables
 * of the same names have the same columns: rows are copied with INSERT OR
 * IGNORE (so a copy cut short and run again adds nothing twice), then the
 * tables are dropped from the legacy database. Tables it does not hold are
 * skipped. Returns how many rows were copied.
 */
export function adoptTables(
  db: DatabaseSync,
  legacyPath: string,
  tables: readonly string[],
): number {
  for (const table of tables) {
    if (!TABLE_NAME.test(table)) throw new TypeError(`Cannot adopt table: bad name "${table}"`);
  }
  if (legacyPath === ":memory:" || tables.length === 0) return 0;
  try {
    Deno.statSync(legacyPath);
  } catch {
    return 0;
  }
  let copied = 0;
  db.prepare("ATTACH DATABASE ? AS legacy").run(legacyPath);
  try {
    const held = new Set(
      (db.prepare("SELECT name FROM legacy.sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]).map((r) => r.name),
    );
    for (const table of tables.filter((t) => held.has(t))) {
      db.exec("BEGIN IMMEDIATE");
      try {
        copied += Number(
          db.prepare(`INSERT OR IGNORE INTO main.${table} SELECT * FROM legacy.${table}`).run()
            .changes,
        );
        db.exec("COMMIT");
      } catch (err) {
        db.exec("ROLLBACK");
        throw new MeteorError("E_IO", `Cannot adopt table ${table}`, { cause: err });
      }
      db.exec(`DROP TABLE legacy.${table}`);
    }
  } finally {
    db.exec("DETACH DATABASE legacy");
  }
  return copied;
}
