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
import { transaction } from "./_transaction.ts";

/** A queued message. */
export interface OutboxMessage {
  /** Its place in the outbox: larger for every message queued later. */
  seqno: number;
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
  seqno: number;
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
    seqno: row.seqno,
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

/** What {@link Outbox.write} changes in one transaction. */
export interface OutboxChanges {
  /** Messages to queue. */
  enqueue?: readonly NewOutboxMessage[];
  /** Ids of messages sent once more: their attempts are counted. */
  attempts?: readonly string[];
  /**
   * Acknowledged messages to mark delivered; with `to`, only when it is the
   * message's recipient. Unknown, already delivered and other recipients'
   * ids are skipped.
   */
  delivered?: readonly { id: string; to?: Uint8Array }[];
}

/** What {@link Outbox.write} did. */
export interface OutboxWritten {
  /** The queued messages with their new ids, in order. */
  queued: OutboxMessage[];
  /** How many of the attempted ids exist. */
  attempted: number;
  /** The messages that were pending and are now marked delivered, as they are now. */
  delivered: OutboxMessage[];
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
    return this.enqueueAll([message])[0];
  }

  /**
   * Queues several messages in one transaction (one commit): all are stored
   * or, when one is refused, none. Returns them with their new ids, in order.
   */
  enqueueAll(messages: readonly NewOutboxMessage[]): OutboxMessage[] {
    return this.write({ enqueue: messages }).queued;
  }

  /**
   * Makes `changes` in one transaction (one commit), in this order: queues
   * the new messages, records the delivery attempts, marks the acknowledged
   * messages delivered. Everything is checked first; when anything is
   * refused, nothing is written.
   */
  write(changes: OutboxChanges): OutboxWritten {
    const queue = (changes.enqueue ?? []).map((message) => this.#checkQueued(message));
    const attempts = (changes.attempts ?? []).map((id) =>
      checkMessageId("record delivery attempt", id)
    );
    const acks = (changes.delivered ?? []).map(({ id, to }) => ({
      id: checkMessageId("mark message delivered", id),
      to: to === undefined ? null : checkMeteorId("mark message delivered", to),
    }));
    const now = this.#now();
    const insert = prepared(
      this.#db,
      `INSERT INTO outbox (id, recipient, kind, body, created_at) VALUES (?, ?, ?, ?, ?)
       RETURNING seqno`,
    );
    const attempt = prepared(
      this.#db,
      "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
    );
    const deliver = prepared(
      this.#db,
      `UPDATE outbox SET delivered_at = ?
       WHERE id = ? AND delivered_at IS NULL AND (?3 IS NULL OR recipient = ?3) RETURNING *`,
    );
    return transaction(this.#db, () => {
      const queued = queue.map((r): OutboxMessage => {
        const { seqno } = insert.get(r.id, r.to, r.kind, r.body, r.createdAt) as { seqno: number };
        return { seqno, ...r, attempts: 0, lastAttemptAt: null, deliveredAt: null };
      });
      let attempted = 0;
      for (const id of attempts) attempted += Number(attempt.run(now, id).changes);
      const delivered: OutboxMessage[] = [];
      for (const { id, to } of acks) {
        const row = deliver.get(now, id, to) as Row | undefined;
        if (row) delivered.push(toMessage(row));
      }
      return { queued, attempted, delivered };
    });
  }

  /** A new message checked and given its id and creation time. */
  #checkQueued(message: NewOutboxMessage) {
    const action = "queue message";
    const to = checkMeteorId(action, message.to);
    const { kind, body } = checkMessageBody(action, message.kind, message.body);
    const id = checkMessageId(action, this.#newId());
    return { id, to, kind, body, createdAt: this.#now() };
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

  /** Pending messages to `to` queued after outbox place `after` (a seqno), oldest first. */
  pendingAfter(to: Uint8Array, after: number, limit = 100): OutboxMessage[] {
    const action = "list pending messages";
    const rows = prepared(
      this.#db,
      `SELECT * FROM outbox WHERE delivered_at IS NULL AND recipient = ? AND seqno > ?
       ORDER BY seqno LIMIT ?`,
    ).all(checkMeteorId(action, to), checkCount(action, "after", after), checkLimit(action, limit));
    return (rows as Row[]).map(toMessage);
  }

  /** The recipients with pending messages, each once. */
  recipients(): Uint8Array[] {
    const rows = prepared(
      this.#db,
      "SELECT DISTINCT recipient FROM outbox WHERE delivered_at IS NULL",
    ).all() as { recipient: Uint8Array }[];
    return rows.map((r) => r.recipient);
  }

  /** Every message, pending and delivered, newest first. */
  list(limit = 100): OutboxMessage[] {
    const n = checkLimit("list outbox", limit);
    return (prepared(this.#db, "SELECT * FROM outbox ORDER BY seqno DESC LIMIT ?").all(n) as Row[])
      .map(toMessage);
  }

  /** Records a delivery attempt; E_NOT_FOUND when absent. */
  recordAttempt(id: string): void {
    if (this.recordAttempts([id]) === 0) {
      throw new MeteorError("E_NOT_FOUND", "Cannot record delivery attempt: no such message");
    }
  }

  /** Records a delivery attempt of each message in one transaction; returns how many exist. */
  recordAttempts(ids: readonly string[]): number {
    return this.write({ attempts: ids }).attempted;
  }

  /**
   * Marks a message delivered. Call only when the peer has acknowledged it.
   * Returns false when it was already marked; E_NOT_FOUND when absent.
   */
  markDelivered(id: string): boolean {
    const checked = checkMessageId("mark message delivered", id);
    if (this.markAllDelivered([{ id: checked }]).length === 1) return true;
    if (this.get(checked)) return false;
    throw new MeteorError("E_NOT_FOUND", "Cannot mark message delivered: no such message");
  }

  /**
   * Marks each message delivered in one transaction (call only for
   * acknowledged ones; with `to`, only when it is that message's recipient);
   * returns those that were pending, as they are now. Unknown, already
   * delivered and other recipients' ids are skipped.
   */
  markAllDelivered(acks: readonly { id: string; to?: Uint8Array }[]): OutboxMessage[] {
    return this.write({ delivered: acks }).delivered;
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

  /**
   * Deletes delivered messages beyond the `keep` most recently queued
   * delivered ones; returns how many. Pending messages are never touched.
   */
  pruneDeliveredBeyond(keep: number): number {
    const n = checkCount("prune outbox", "keep", keep);
    const { changes } = prepared(
      this.#db,
      `DELETE FROM outbox WHERE delivered_at IS NOT NULL AND seqno <= (
         SELECT seqno FROM outbox WHERE delivered_at IS NOT NULL
         ORDER BY seqno DESC LIMIT 1 OFFSET ?)`,
    ).run(n);
    return Number(changes);
  }
}
