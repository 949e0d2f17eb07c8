/**
 * Opens the node's state database (SQLite through node:sqlite, WAL mode,
 * `<home>/state.db`) and migrates it to the current schema. This module is
 * the one place the node touches SQLite.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { MeteorError } from "../errors.ts";
import { MIGRATIONS } from "./_schema.ts";
import { Contacts } from "./contacts.ts";
import { Counters } from "./counters.ts";
import { Inbox } from "./inbox.ts";
import { Outbox } from "./outbox.ts";

/** The schema version this code writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Options for {@link openStore}. */
export interface StoreOptions {
  /** The clock, in ms since the epoch; default Date.now. */
  now?: () => number;
  /** Makes outbox message ids; default crypto.randomUUID. */
  newId?: () => string;
  /**
   * "full" (default) syncs every commit, so an acknowledged write survives
   * power loss; "normal" survives a process crash but may lose the last
   * commits on power loss, and is faster.
   */
  synchronous?: "full" | "normal";
}

/** The node's state: contacts, inbox, outbox and counters. */
export interface NodeStore {
  /** Contacts by name and MeteorID. */
  readonly contacts: Contacts;
  /** Messages received. */
  readonly inbox: Inbox;
  /** Messages queued for delivery. */
  readonly outbox: Outbox;
  /** Traffic counters per plugin. */
  readonly counters: Counters;
  /** The schema version of the open database. */
  readonly version: number;
  /** Closes the database; further calls on the store throw. Idempotent. */
  close(): void;
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

function migrate(db: DatabaseSync): number {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (version > MIGRATIONS.length) {
    throw new MeteorError(
      "E_IO",
      `Cannot open state: schema version ${version} is newer than this Meteor's (${MIGRATIONS.length})`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw new MeteorError("E_IO", `Cannot migrate state to version ${v + 1}`, { cause: err });
    }
  }
  return MIGRATIONS.length;
}

/** SQLite's messages for a file that is not, or is no longer, a whole database. */
const DAMAGED = /file is not a database|database disk image is malformed/;

/** E_MALFORMED saying what to do, when `err` is SQLite finding `path` damaged or truncated. */
function damaged(path: string, err: unknown): MeteorError | undefined {
  if (!(err instanceof Error) || !DAMAGED.test(err.message)) return undefined;
  return new MeteorError(
    "E_MALFORMED",
    `Cannot open state: ${path} is damaged (${err.message}); restore it from a backup, or move ` +
      `it aside (mv ${path} ${path}.damaged) to start an empty one (its contacts and messages ` +
      "are then lost)",
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
  const { now = Date.now, newId, synchronous = "full" } = options;
  let db: DatabaseSync;
  try {
    if (path !== ":memory:") createPrivately(path);
    db = new DatabaseSync(path);
  } catch (err) {
    throw new MeteorError("E_IO", `Cannot open state: ${(err as Error).message}`, { cause: err });
  }
  try {
    // A second process (the CLI while the daemon runs) waits for locks instead of failing.
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.exec("PRAGMA foreign_keys = ON");
    const version = migrate(db);
    let open = true;
    return {
      contacts: new Contacts(db, now),
      inbox: new Inbox(db, now),
      outbox: new Outbox(db, now, newId),
      counters: new Counters(db),
      version,
      close() {
        if (open) db.close();
        open = false;
      },
    };
  } catch (err) {
    db.close();
    throw damaged(path, err) ?? err;
  }
}
