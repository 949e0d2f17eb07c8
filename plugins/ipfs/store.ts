/**
 * The plugin's tables in `<home>/plugins/ipfs/ipfs.db` (docs/ipfs.md §5):
 * Helia's datastore (pins), what this node added, the send-file outbox and
 * the files received from peers.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared } from "../../core/store/mod.ts";
import { DATASTORE_MIGRATION } from "../p2p/mod.ts";

/** Migration i moves ipfs.db from version i to i + 1; append, never edit. */
export const MIGRATIONS: readonly string[] = [
  DATASTORE_MIGRATION,
  `CREATE TABLE added (
    cid TEXT PRIMARY KEY NOT NULL,
    size INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    added_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    recipient BLOB NOT NULL CHECK (length(recipient) = 32),
    cid TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at INTEGER,
    error TEXT
  ) STRICT;
  CREATE TABLE received (
    sender BLOB NOT NULL CHECK (length(sender) = 32),
    id TEXT NOT NULL,
    cid TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'saved', 'failed')),
    next_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    path TEXT,
    error TEXT,
    PRIMARY KEY (sender, id)
  ) STRICT;`,
];

/** A file this node added. */
export interface AddedRow {
  cid: string;
  /** Plaintext bytes. */
  size: number;
  /** Bytes stored (ciphertext when encrypted). */
  stored: number;
  encrypted: boolean;
  addedAt: number;
}

/** An outbox item. */
export interface OutboxRow {
  id: string;
  recipient: Uint8Array;
  cid: string;
  name: string;
  size: number;
  createdAt: number;
  attempts: number;
  deliveredAt: number | null;
  error: string | null;
}

/** A received file. */
export interface ReceivedRow {
  sender: Uint8Array;
  id: string;
  cid: string;
  name: string;
  size: number;
  receivedAt: number;
  state: "pending" | "saved" | "failed";
  attempts: number;
  path: string | null;
  error: string | null;
}

type Row = Record<string, unknown>;

const outboxRow = (r: Row): OutboxRow => ({
  id: r.id as string,
  recipient: new Uint8Array(r.recipient as Uint8Array),
  cid: r.cid as string,
  name: r.name as string,
  size: r.size as number,
  createdAt: r.created_at as number,
  attempts: r.attempts as number,
  deliveredAt: r.delivered_at as number | null,
  error: r.error as string | null,
});

const receivedRow = (r: Row): ReceivedRow => ({
  sender: new Uint8Array(r.sender as Uint8Array),
  id: r.id as string,
  cid: r.cid as string,
  name: r.name as string,
  size: r.size as number,
  receivedAt: r.received_at as number,
  state: r.state as ReceivedRow["state"],
  attempts: r.attempts as number,
  path: r.path as string | null,
  error: r.error as string | null,
});

/** The tables of one ipfs.db. */
export class IpfsTables {
  /** The database (migrated with {@link MIGRATIONS}). */
  readonly db: DatabaseSync;

  /** The tables of `db`. */
  constructor(db: DatabaseSync) {
    this.db = db;
  }

  /** Records an added file (again: replaces). */
  recordAdded(row: AddedRow): void {
    prepared(
      this.db,
      "INSERT OR REPLACE INTO added (cid, size, stored, encrypted, added_at) VALUES (?, ?, ?, ?, ?)",
    ).run(row.cid, row.size, row.stored, row.encrypted ? 1 : 0, row.addedAt);
  }

  /** The added file `cid`, if this node added it. */
  added(cid: string): AddedRow | undefined {
    const r = prepared(this.db, "SELECT * FROM added WHERE cid = ?").get(cid) as Row | undefined;
    return r && {
      cid: r.cid as string,
      size: r.size as number,
      stored: r.stored as number,
      encrypted: r.encrypted === 1,
      addedAt: r.added_at as number,
    };
  }

  /** Queues a send-file item. */
  enqueue(item: Omit<OutboxRow, "attempts" | "deliveredAt" | "error">): void {
    prepared(
      this.db,
      `INSERT INTO outbox (id, recipient, cid, name, size, created_at, next_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(item.id, item.recipient, item.cid, item.name, item.size, item.createdAt, item.createdAt);
  }

  /** Undelivered outbox items due by `now`. */
  dueOutbox(now: number): OutboxRow[] {
    return (prepared(
      this.db,
      "SELECT * FROM outbox WHERE delivered_at IS NULL AND next_at <= ? ORDER BY created_at",
    ).all(now) as Row[]).map(outboxRow);
  }

  /** Sets when an outbox item is tried next. */
  retryOutbox(id: string, nextAt: number): void {
    prepared(this.db, "UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?")
      .run(nextAt, id);
  }

  /** Marks an outbox item delivered (by `recipient` only); false when it was not pending. */
  deliver(recipient: Uint8Array, id: string, error: string | null, now: number): boolean {
    const result = prepared(
      this.db,
      `UPDATE outbox SET delivered_at = ?, error = ?
       WHERE id = ? AND recipient = ? AND delivered_at IS NULL`,
    ).run(now, error, id, recipient);
    return Number(result.changes) === 1;
  }

  /** An outbox item. */
  outboxItem(id: string): OutboxRow | undefined {
    const r = prepared(this.db, "SELECT * FROM outbox WHERE id = ?").get(id) as Row | undefined;
    return r && outboxRow(r);
  }

  /** Records a received file offer once; resolves to its row. */
  receive(
    item: Pick<ReceivedRow, "sender" | "id" | "cid" | "name" | "size">,
    now: number,
  ): ReceivedRow {
    prepared(
      this.db,
      `INSERT OR IGNORE INTO received (sender, id, cid, name, size, received_at, state, next_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
    ).run(item.sender, item.id, item.cid, item.name, item.size, now, now);
    return receivedRow(
      prepared(this.db, "SELECT * FROM received WHERE sender = ? AND id = ?")
        .get(item.sender, item.id) as Row,
    );
  }

  /** Pending received files due by `now`. */
  duePending(now: number): ReceivedRow[] {
    return (prepared(
      this.db,
      "SELECT * FROM received WHERE state = 'pending' AND next_at <= ? ORDER BY received_at",
    ).all(now) as Row[]).map(receivedRow);
  }

  /** Sets when a pending received file is fetched next. */
  retryPending(sender: Uint8Array, id: string, nextAt: number, error: string): void {
    prepared(
      this.db,
      "UPDATE received SET attempts = attempts + 1, next_at = ?, error = ? WHERE sender = ? AND id = ?",
    ).run(nextAt, error, sender, id);
  }

  /** Ends a received file: saved at `path`, or failed with `error`. */
  settle(sender: Uint8Array, id: string, outcome: { path: string } | { error: string }): void {
    const saved = "path" in outcome;
    prepared(
      this.db,
      "UPDATE received SET state = ?, path = ?, error = ? WHERE sender = ? AND id = ?",
    ).run(
      saved ? "saved" : "failed",
      saved ? outcome.path : null,
      saved ? null : outcome.error,
      sender,
      id,
    );
  }

  /**
   * The saved received files for the inbox (GET /v1/inbox): from `from` when
   * given, received at or after `since`, oldest first, at most `limit` (100).
   */
  savedFiles(query: { from?: Uint8Array; since?: number; limit?: number }): ReceivedRow[] {
    const rows = query.from === undefined
      ? prepared(
        this.db,
        `SELECT * FROM received WHERE state = 'saved' AND received_at >= ?
         ORDER BY received_at LIMIT ?`,
      ).all(query.since ?? 0, query.limit ?? 100)
      : prepared(
        this.db,
        `SELECT * FROM received WHERE state = 'saved' AND sender = ? AND received_at >= ?
         ORDER BY received_at LIMIT ?`,
      ).all(query.from, query.since ?? 0, query.limit ?? 100);
    return (rows as Row[]).map(receivedRow);
  }

  /** Every received file, newest first. */
  receivedFiles(limit = 1000): ReceivedRow[] {
    return (prepared(this.db, "SELECT * FROM received ORDER BY received_at DESC LIMIT ?")
      .all(limit) as Row[]).map(receivedRow);
  }
}
