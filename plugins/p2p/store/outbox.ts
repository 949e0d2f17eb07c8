/**
 * The outbox: messages queued for delivery. Durable by construction: a
 * message stays pending, across restarts, until {@link Outbox.markDelivered}
 * is called, which the sender does only once the peer has acknowledged it.
 * Delivery is therefore at least once; the receiver's inbox drops
 * duplicates by (sender, id).
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { MeteorError } from "../../../core/errors.ts";

import {
  type BodyKind,
  checkCount,
  checkLimit,
  checkMessageBody,
  checkMessageId,
  checkMeteorId,
  prepared,
} from "../../../core/store/mod.ts";

/** A queued message. */
export interface OutboxMessage {
  /** A unique id (a UUID), sent to the peer with the message. */
  id: string;
  /** The recipient's 32-byte MeteorID. */
  to: Uint8Array;
  /** "text" (UTF-8) or "bytes". */
  kind: BodyKind;
  /** The body. */
  body: Uint8Array;
  /** When it was queued, ms since the epoch. */
  createdAt: number;
  /** How many delivery attempts were made. */
  attempts: number;
  /** When the last attempt was made, or null. */
  lastAttemptAt: number | null;
  /** When the peer acknowledged it, or null while pending. */
  deliveredAt: number | null;
}

/** What {@link Outbox.enqueue} takes. */
export interface NewOutboxMessage {
  /** The recipient's MeteorID. */
  to: Uint8Array;
  /** "text" or "bytes". */
  kind: BodyKind;
  /** The body, at most MAX_MESSAGE_BYTES. */
  body: Uint8Array;
}

type Row = {
  id: string;
  recipient: Uint8Array;
  kind: BodyKind;
  body: Uint8Array;
  created_at: number;
  attempts: number;
  last_attempt_at: number | null;
  delivered_at: number | null;
};

function toMessage(row: Row): OutboxMessage {
  return {
    id: row.id,
    to: row.recipient,
    kind: row.kind,
    body: row.body,
    createdAt: row.created_at,
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at,
    deliveredAt: row.delivered_at,
  };
}

/** The outbox table. */
export class Outbox {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #newId: () => string;

  /** Wraps an open, migrated database. */
  constructor(
    db: DatabaseSync,
    now: () => number,
    newId: () => string = () => crypto.randomUUID(),
  ) {
    this.#db = db;
    this.#now = now;
    this.#newId = newId;
  }

  /** Queues a message and returns it with its new id. */
  enqueue(message: NewOutboxMessage): OutboxMessage {
    const action = "queue message";
    const to = checkMeteorId(action, message.to);
    const { kind, body } = checkMessageBody(action, message.kind, message.body);
    const id = checkMessageId(action, this.#newId());
    const createdAt = this.#now();
    prepared(
      this.#db,
      "INSERT INTO outbox (id, recipient, kind, body, created_at) VALUES (?, ?, ?, ?, ?)",
    ).run(id, to, kind, body, createdAt);
    return { id, to, kind, body, createdAt, attempts: 0, lastAttemptAt: null, deliveredAt: null };
  }

  /** The message with this id, or undefined. */
  get(id: string): OutboxMessage | undefined {
    const row = prepared(this.#db, "SELECT * FROM outbox WHERE id = ?")
      .get(checkMessageId("find message", id)) as Row | undefined;
    return row && toMessage(row);
  }

  /** Pending (unacknowledged) messages, oldest first; only those to `to` when given. */
  pending(to?: Uint8Array, limit = 100): OutboxMessage[] {
    const action = "list pending messages";
    const n = checkLimit(action, limit);
    const rows = to === undefined
      ? prepared(this.#db, "SELECT * FROM outbox WHERE delivered_at IS NULL ORDER BY seqno LIMIT ?")
        .all(n)
      : prepared(
        this.#db,
        "SELECT * FROM outbox WHERE delivered_at IS NULL AND recipient = ? ORDER BY seqno LIMIT ?",
      ).all(checkMeteorId(action, to), n);
    return (rows as Row[]).map(toMessage);
  }

  /** Every message, pending and delivered, newest last. */
  list(limit = 100): OutboxMessage[] {
    const n = checkLimit("list outbox", limit);
    return (prepared(this.#db, "SELECT * FROM outbox ORDER BY seqno LIMIT ?").all(n) as Row[])
      .map(toMessage);
  }

  /** Records a delivery attempt; E_NOT_FOUND when absent. */
  recordAttempt(id: string): void {
    const action = "record delivery attempt";
    const { changes } = prepared(
      this.#db,
      "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
    ).run(this.#now(), checkMessageId(action, id));
    if (changes === 0) throw new MeteorError("E_NOT_FOUND", `Cannot ${action}: no such message`);
  }

  /**
   * Marks a message delivered. Call only when the peer has acknowledged it.
   * Returns false when it was already marked; E_NOT_FOUND when absent.
   */
  markDelivered(id: string): boolean {
    const action = "mark message delivered";
    const checked = checkMessageId(action, id);
    const { changes } = prepared(
      this.#db,
      "UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
    ).run(this.#now(), checked);
    if (changes === 1) return true;
    if (this.get(checked)) return false;
    throw new MeteorError("E_NOT_FOUND", `Cannot ${action}: no such message`);
  }

  /** Cancels a message (delivered or not); E_NOT_FOUND when absent. */
  remove(id: string): void {
    const action = "remove message";
    const { changes } = prepared(this.#db, "DELETE FROM outbox WHERE id = ?")
      .run(checkMessageId(action, id));
    if (changes === 0) throw new MeteorError("E_NOT_FOUND", `Cannot ${action}: no such message`);
  }

  /** Deletes delivered messages acknowledged before `time` (ms); returns how many. */
  pruneDelivered(time: number): number {
    const before = checkCount("prune outbox", "time", time);
    const { changes } = prepared(
      this.#db,
      "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
    ).run(before);
    return Number(changes);
  }
}
