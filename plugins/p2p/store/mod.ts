/**
 * The p2p plugin's own tables, in its database `<home>/plugins/p2p/p2p.db`:
 * the inbox (messages received) and the outbox (messages queued for
 * delivery). A home made before plugins had databases of their own kept them
 * in state.db; they are adopted from there on first open.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { PluginDatabase } from "../../../core/plugin.ts";
import { Inbox } from "./inbox.ts";
import { Outbox } from "./outbox.ts";
import { DATASTORE_MIGRATION } from "../_datastore.ts";

export { Inbox, inboxJson } from "./inbox.ts";
export type {
  InboxFile,
  InboxFileEntry,
  InboxJson,
  InboxMessage,
  InboxQuery,
  InboxSource,
  NewInboxMessage,
} from "./inbox.ts";
export { Outbox } from "./outbox.ts";
export type { NewOutboxMessage, OutboxChanges, OutboxMessage, OutboxWritten } from "./outbox.ts";

/**
 * Migration i moves p2p.db from `PRAGMA user_version` i to i + 1. Version 1
 * has exactly the columns of the state.db tables it adopts; version 2 adds
 * the libp2p datastore (plugins/p2p/_datastore.ts); version 3 indexes
 * delivered outbox rows by delivery time, for pruning.
 */
export const P2P_MIGRATIONS: readonly string[] = [
  `
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
  `,
  DATASTORE_MIGRATION,
  `CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;`,
];

/** The p2p plugin's tables. */
export interface MessageStore {
  /** The open database (the libp2p datastore lives there too). */
  readonly db: DatabaseSync;
  /** Messages received. */
  readonly inbox: Inbox;
  /** Messages queued for delivery. */
  readonly outbox: Outbox;
}

/** Options of {@link openMessageStore}. */
export interface MessageStoreOptions {
  /** The clock, in ms since the epoch; default Date.now. */
  now?: () => number;
  /** Makes outbox message ids; default crypto.randomUUID. */
  newId?: () => string;
}

/** The inbox and outbox over an open p2p database. */
export function messageStore(db: DatabaseSync, options: MessageStoreOptions = {}): MessageStore {
  const now = options.now ?? Date.now;
  return { db, inbox: new Inbox(db, now), outbox: new Outbox(db, now, options.newId) };
}

/** Opens p2p.db through the plugin's database component, adopting the legacy tables. */
export function openMessageStore(
  database: PluginDatabase,
  options: MessageStoreOptions = {},
): MessageStore {
  return messageStore(
    database.open({ migrations: P2P_MIGRATIONS, adopt: ["inbox", "outbox"] }),
    options,
  );
}
