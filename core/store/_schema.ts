/**
 * The state database schema as an ordered list of migrations. Migration i
 * moves the database from `PRAGMA user_version` i to i + 1; a released
 * migration is never edited, only followed by a new one. The inbox and outbox
 * tables of migration 1 now belong to the p2p plugin, which adopts them into
 * its own database ({@link LEGACY_TABLES}).
 *
 * @module
 */

/** Each entry is one migration's SQL, applied inside a transaction. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE contacts (
    name TEXT PRIMARY KEY NOT NULL,
    meteor_id BLOB NOT NULL UNIQUE CHECK (length(meteor_id) = 32),
    document BLOB,
    added_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE inbox (
    seqno INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    sender BLOB NOT NULL CHECK (length(sender) = 32),
    kind TEXT NOT NULL CHECK (kind IN ('text', 'bytes')),
    body BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    session_seq INTEGER NOT NULL,
    UNIQUE (sender, id)
  ) STRICT;
  CREATE TABLE outbox (
    seqno INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    recipient BLOB NOT NULL CHECK (length(recipient) = 32),
    kind TEXT NOT NULL CHECK (kind IN ('text', 'bytes')),
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at INTEGER,
    delivered_at INTEGER
  ) STRICT;
  CREATE INDEX outbox_pending ON outbox (recipient, seqno) WHERE delivered_at IS NULL;
  CREATE TABLE counters (
    plugin TEXT PRIMARY KEY NOT NULL,
    messages_in INTEGER NOT NULL DEFAULT 0,
    messages_out INTEGER NOT NULL DEFAULT 0,
    bytes_in INTEGER NOT NULL DEFAULT 0,
    bytes_out INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  `,
];

/**
 * Tables migration 1 created that a plugin now owns, with the plugin that
 * may adopt them into its own database (core/store/database.ts adoptTables):
 * homes made before plugins had databases of their own keep their messages.
 */
export const LEGACY_TABLES: Readonly<Record<string, string>> = { inbox: "p2p", outbox: "p2p" };
