/**
 * The guestbook's own table, in the plugin's own database (the `database`
 * component): who signed, what they wrote, when it arrived.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { checkMeteorId, MeteorError, prepared } from "../../plugin.ts";

/** Migration i moves guestbook.db from version i to i + 1; append, never edit. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE entries (
    seqno INTEGER PRIMARY KEY AUTOINCREMENT,
    signer BLOB NOT NULL CHECK (length(signer) = 32),
    text TEXT NOT NULL,
    received_at INTEGER NOT NULL
  ) STRICT;`,
];

/** One entry. */
export interface Entry {
  /** The signer's MeteorID (authenticated by the Meteor session it came on). */
  from: Uint8Array;
  /** What they wrote. */
  text: string;
  /** When it arrived, Unix ms. */
  receivedAt: number;
}

/** The guestbook table, bounded to `capacity` entries. */
export class Guestbook {
  readonly #db: DatabaseSync;
  readonly #capacity: number;

  /** The table of `db` (migrated with {@link MIGRATIONS}). */
  constructor(db: DatabaseSync, capacity: number) {
    this.#db = db;
    this.#capacity = capacity;
  }

  /**
   * Adds an entry.
   *
   * @throws {MeteorError} E_GUESTBOOK_FULL once it holds `capacity` entries
   */
  add(from: Uint8Array, text: string, now = Date.now()): Entry {
    checkMeteorId("sign guestbook", from);
    if (this.count() >= this.#capacity) {
      throw new MeteorError(
        "E_GUESTBOOK_FULL",
        `Cannot sign guestbook: it holds ${this.#capacity} entries`,
      );
    }
    prepared(this.#db, "INSERT INTO entries (signer, text, received_at) VALUES (?, ?, ?)")
      .run(from, text, now);
    return { from: from.slice(), text, receivedAt: now };
  }

  /** The newest `limit` entries, newest first. */
  list(limit = 100): Entry[] {
    const rows = prepared(
      this.#db,
      "SELECT signer, text, received_at FROM entries ORDER BY seqno DESC LIMIT ?",
    ).all(limit) as { signer: Uint8Array; text: string; received_at: number }[];
    return rows.map((r) => ({
      from: new Uint8Array(r.signer),
      text: r.text,
      receivedAt: r.received_at,
    }));
  }

  /** How many entries it holds. */
  count(): number {
    return (prepared(this.#db, "SELECT count(*) AS n FROM entries").get() as { n: number }).n;
  }
}
