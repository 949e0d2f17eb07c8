/**
 * The state database schema as an ordered list of migrations. Migration i
 * moves the database from `PRAGMA user_version` i to i + 1; a released
 * migration is never edited, only followed by a new one.
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
