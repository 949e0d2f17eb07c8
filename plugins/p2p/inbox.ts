/**
 * Receiving direct messages (docs/protocol.md §7): message records that
 * arrive in one turn of the event loop are stored in the inbox in one commit
 * (once each: a repeat is not stored again), and only after that commit are
 * they acknowledged, the repeats too: each id once per commit and session,
 * in one ack record, or one acks record for several.
 *
 * @module
 */
import { utf8 } from "../../core/bytes.ts";
import type { EventBus } from "../../core/events.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { PluginCounters } from "../../core/plugin.ts";
import { type DirectRecord, encodeAcks } from "./_records.ts";
import type { Session } from "./session/mod.ts";
import type { InboxMessage, MessageStore, NewInboxMessage } from "./store/mod.ts";
import { GroupCommit } from "./store/_group_commit.ts";

/** What an {@link InboxWriter} uses. */
export interface InboxComponents {
  /** The inbox table. */
  inbox: MessageStore["inbox"];
  /** The plugin's durable counters. */
  counters: PluginCounters;
  /** The event bus, for "message". */
  events: EventBus;
  /** The node's counters (messagesIn). */
  counts: Record<string, number>;
  /** Logs a failure nobody awaits. */
  debug(what: string, err: unknown): void;
}

type Stored = { added: boolean; message: InboxMessage };

/** A message received on a session, waiting for its commit. */
interface Received {
  session: Session;
  message: NewInboxMessage;
  text: string;
}

/**
 * Stores received messages with group commit and acknowledges them.
 *
 * @example
 * ```ts ignore
 * const writer = new InboxWriter({ inbox, counters, events, counts, debug });
 * writer.receive(session, record);
 * ```
 */
export class InboxWriter {
  readonly #components: InboxComponents;
  readonly #commits: GroupCommit<Received, Stored>;

  /** A writer over the inbox table. */
  constructor(components: InboxComponents) {
    this.#components = components;
    this.#commits = new GroupCommit((received) => this.#store(received));
  }

  /**
   * §7: stores a message received on `session` (with the others of this
   * turn; "message" for each new one), then acknowledges it on that session
   * if it is still open.
   */
  receive(session: Session, record: Extract<DirectRecord, { type: "message" }>): void {
    const seq = session.stats.framesIn - 1;
    const from = session.peer.meteorId;
    const message = { id: record.id, from, kind: "text" as const, body: utf8(record.text), seq };
    this.#commits.add({ session, message, text: record.text })
      .catch((err) => this.#components.debug("storing a message", err));
  }

  /** One commit of a turn's messages, then their events and acknowledgements. */
  #store(received: Received[]): Stored[] {
    const { inbox, counters, counts, events } = this.#components;
    const stored = inbox.addAll(received.map((r) => r.message));
    const added = stored.filter((s) => s.added);
    if (added.length > 0) {
      counts.messagesIn += added.length;
      counters.add({
        messagesIn: added.length,
        bytesIn: added.reduce((n, s) => n + s.message.body.length, 0),
      });
    }
    const acks = new Map<Session, Set<string>>();
    received.forEach(({ session, message, text }, i) => {
      const { added, message: kept } = stored[i];
      if (added) {
        events.emit("message", {
          id: kept.id,
          from: formatMeteorId(kept.from),
          text,
          receivedAt: kept.receivedAt,
          seq: kept.seq,
        });
      }
      const ids = acks.get(session) ?? new Set();
      ids.add(message.id);
      acks.set(session, ids);
    });
    for (const [session, ids] of acks) {
      if (session.closed) continue;
      for (const record of encodeAcks([...ids])) session.send(record);
    }
    return stored;
  }
}
