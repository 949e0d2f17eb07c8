/**
 * Opens the node's state database (SQLite through node:sqlite, WAL mode,
 * `<home>/state.db`) and migrates it to the current schema: the core's own
 * tables, contacts and counters. Plugins keep their tables in databases of
 * their own (core/store/database.ts).
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { MeteorError } from "../errors.ts";
import { MIGRATIONS } from "./_schema.ts";
import { Contacts } from "./contacts.ts";
import { Counters } from "./counters.ts";
import { openDatabase } from "./database.ts";

/** The schema version this code writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Options for {@link openStore}. */
export interface StoreOptions {
  /** The clock, in ms since the epoch; default Date.now. */
  now?: () => number;
  /**
   * "full" (default) syncs every commit, so an acknowledged write survives
   * power loss; "normal" survives a process crash but may lose the last
   * commits on power loss, and is faster.
   */
  synchronous?: "full" | "normal";
}

/** The node's state: contacts and counters. */
export interface NodeStore {
  /** Contacts by name and MeteorID. */
  readonly contacts: Contacts;
  /** Traffic counters per plugin. */
  readonly counters: Counters;
  /** The schema version of the open database. */
  readonly version: number;
  /** The path it was opened at (":memory:" for tests). */
  readonly path: string;
  /** Closes the database; further calls on the store throw. Idempotent. */
  close(): void;
}

/** SQLite's messages for a file that is not, or is no longer, a whole database. */
const DAMAGED = /file is not a database|database disk image is malformed/;

/** E_MALFORMED saying what to do, when `err` is SQLite finding `path` damaged or truncated. */
function damaged(path: string, err: unknown): MeteorError | undefined {
  if (!(err instanceof Error) || !DAMAGED.test(err.message)) return undefined;
  return new MeteorError(
    "E_MALFORMED",
    `Cannot open state: ${path} is damaged (${err.message}); restore it from a backup, or move ` +
      `it aside (mv ${path} ${path}.damaged) to start an empty one (its contacts are then lost)`,
    { cause: err },
  );
}

/**
 * Opens (creating if needed) and migrates the state database at `path`;
 * ":memory:" gives a private in-memory store for tests. A damaged or
 * truncated file is E_MALFORMED.
 *
 * @example
 * ```ts
 * import { openStore } from "./store.ts";
 * const store = openStore(":memory:");
 * store.counters.add("p2p", { messagesIn: 1, bytesIn: 42 });
 * store.close();
 * ```
 */
export function openStore(path: string, options: StoreOptions = {}): NodeStore {
  const { now = Date.now, synchronous = "full" } = options;
  let db: DatabaseSync;
  try {
    db = openDatabase(path, { migrations: MIGRATIONS, synchronous, label: "state" });
  } catch (err) {
    throw damaged(path, err) ?? err;
  }
  let open = true;
  return {
    contacts: new Contacts(db, now),
    counters: new Counters(db),
    version: MIGRATIONS.length,
    path,
    close() {
      if (open) db.close();
      open = false;
    },
  };
}
