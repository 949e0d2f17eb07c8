/**
 * The inbox: messages received, kept until the user removes them. A message
 * is identified by its sender and the id the sender chose, so a redelivery
 * (the sender did not see our acknowledgement and sent again) is stored once.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { toBase64 } from "../../../core/bytes.ts";
import { MeteorError } from "../../../core/errors.ts";
import { formatMeteorId } from "../../../core/identity/mod.ts";
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

/** A received message. */
export interface InboxMessage {
  /** The id the sender gave the message. */
  id: string;
  /** The sender's 32-byte MeteorID. */
  from: Uint8Array;
  /** "text" (UTF-8) or "bytes". */
  kind: BodyKind;
  /** The message body. */
  body: Uint8Array;
  /** When it was received, in milliseconds since the epoch. */
  receivedAt: number;
  /** Its sequence number within the session it arrived on. */
  seq: number;
}

/** What {@link Inbox.add} takes. */
export interface NewInboxMessage {
  /** The id the sender gave the message. */
  id: string;
  /** The sender's MeteorID. */
  from: Uint8Array;
  /** "text" or "bytes". */
  kind: BodyKind;
  /** The body, at most MAX_MESSAGE_BYTES. */
  body: Uint8Array;
  /** The session sequence number. */
  seq: number;
}

/** Filters for {@link Inbox.list}. */
export interface InboxQuery {
  /** Only messages from this MeteorID. */
  from?: Uint8Array;
  /** Only messages received at or after this time (ms). */
  since?: number;
  /** At most this many, newest last; default 100, at most MAX_PAGE (1000). */
  limit?: number;
}

/** A message as GET /v1/inbox and `meteor inbox --json` show it. */
export interface InboxJson {
  /** The id the sender gave it. */
  id: string;
  /** The sender's MeteorID, text form. */
  from: string;
  /** The sender's contact name, or null. */
  contact: string | null;
  /** "text" or "bytes"; "file" for a file another plugin received (an {@link InboxSource}). */
  kind: BodyKind | "file";
  /** The text, for kind "text". */
  text?: string;
  /** The body in base64, for kind "bytes". */
  base64?: string;
  /** The file, for kind "file". */
  file?: InboxFile;
  /** When it was received (ms). */
  receivedAt: number;
  /** The session sequence number it arrived with (0 for a file). */
  seq: number;
}

/** A received file as the inbox lists it. */
export interface InboxFile {
  /** Its CID. */
  cid: string;
  /** The name it was saved under. */
  name: string;
  /** Its size in bytes. */
  size: number;
}

/** A file entry of an {@link InboxSource}. */
export interface InboxFileEntry {
  /** Its id (unique per sender). */
  id: string;
  /** The sender's MeteorID. */
  from: Uint8Array;
  /** When it was received (ms). */
  receivedAt: number;
  /** The file. */
  file: InboxFile;
}

/**
 * Entries another plugin adds to GET /v1/inbox (files received by the ipfs
 * plugin): those matching `query`, oldest first, at most `query.limit`.
 */
export type InboxSource = (query: InboxQuery) => InboxFileEntry[];

/** The JSON form of `message`, sent by contact `contact` (or null). */
export function inboxJson(message: InboxMessage, contact: string | null): InboxJson {
  const body = message.kind === "text"
    ? { text: new TextDecoder().decode(message.body) }
    : { base64: toBase64(message.body) };
  return {
    id: message.id,
    from: formatMeteorId(message.from),
    contact,
    kind: message.kind,
    ...body,
    receivedAt: message.receivedAt,
    seq: message.seq,
  };
}

type Row = {
  id: string;
  sender: Uint8Array;
  kind: BodyKind;
  body: Uint8Array;
  received_at: number;
  session_seq: number;
};

function toMessage(row: Row): InboxMessage {
  return {
    id: row.id,
    from: row.sender,
    kind: row.kind,
    body: row.body,
    receivedAt: row.received_at,
    seq: row.session_seq,
  };
}

/** The inbox table. */
export class Inbox {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  /** Wraps an open, migrated database (read-only is enough to list). */
  constructor(db: DatabaseSync, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Stores a received message. Resolves `added: false` (and the stored copy)
   * when this sender's message with this id is already in the inbox.
   */
  add(message: NewInboxMessage): { added: boolean; message: InboxMessage } {
    return this.addAll([message])[0];
  }

  /**
   * Stores several received messages in one transaction (one commit), each as
   * {@link Inbox.add} does; when one is refused, none is stored.
   */
  addAll(messages: readonly NewInboxMessage[]): { added: boolean; message: InboxMessage }[] {
    const action = "store message";
    const rows = messages.map((message) => ({
      id: checkMessageId(action, message.id),
      from: checkMeteorId(action, message.from),
      ...checkMessageBody(action, message.kind, message.body),
      seq: checkCount(action, "seq", message.seq),
      receivedAt: this.#now(),
    }));
    const insert = prepared(
      this.#db,
      `INSERT OR IGNORE INTO inbox (id, sender, kind, body, received_at, session_seq)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const find = prepared(this.#db, "SELECT * FROM inbox WHERE sender = ? AND id = ?");
    return transaction(this.#db, () =>
      rows.map(({ id, from, kind, body, seq, receivedAt }) => {
        const { changes } = insert.run(id, from, kind, body, receivedAt, seq);
        if (changes === 1) {
          return { added: true, message: { id, from, kind, body, receivedAt, seq } };
        }
        return { added: false, message: toMessage(find.get(from, id) as Row) };
      }));
  }

  /** Messages oldest first, filtered by `query`. */
  list(query: InboxQuery = {}): InboxMessage[] {
    const action = "list inbox";
    const limit = checkLimit(action, query.limit ?? 100);
    const since = checkCount(action, "since", query.since ?? 0);
    const rows = query.from === undefined
      ? prepared(this.#db, "SELECT * FROM inbox WHERE received_at >= ? ORDER BY seqno LIMIT ?").all(
        since,
        limit,
      )
      : prepared(
        this.#db,
        "SELECT * FROM inbox WHERE sender = ? AND received_at >= ? ORDER BY seqno LIMIT ?",
      ).all(checkMeteorId(action, query.from), since, limit);
    return (rows as Row[]).map(toMessage);
  }

  /** How many messages the inbox holds. */
  count(): number {
    return (prepared(this.#db, "SELECT count(*) AS n FROM inbox").get() as { n: number }).n;
  }

  /** Removes one message; E_NOT_FOUND when absent. */
  remove(from: Uint8Array, id: string): void {
    const action = "remove message";
    const { changes } = prepared(this.#db, "DELETE FROM inbox WHERE sender = ? AND id = ?")
      .run(checkMeteorId(action, from), checkMessageId(action, id));
    if (changes === 0) throw new MeteorError("E_NOT_FOUND", `Cannot ${action}: no such message`);
  }
}
