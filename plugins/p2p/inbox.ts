/**
 * Receiving direct messages (docs/protocol.md §7): message records that
 * arrive in one turn of the event loop are stored in the inbox in one commit
 * (once each: a repeat is not stored again), and each is acknowledged only
 * after that commit, also when it was a repeat.
 *
 * @module
 */
import { utf8 } from "../../core/bytes.ts";
import type { EventBus } from "../../core/events.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { PluginCounters } from "../../core/plugin.ts";
import { type DirectRecord, encodeRecord } from "./_records.ts";
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
  readonly #commits: GroupCommit<NewInboxMessage, Stored>;

  /** A writer over the inbox table. */
  constructor(components: InboxComponents) {
    this.#components = components;
    const { inbox, counters, counts } = components;
    this.#commits = new GroupCommit((messages) => {
      const stored = inbox.addAll(messages);
      const added = stored.filter((s) => s.added);
      if (added.length > 0) {
        counts.messagesIn += added.length;
        counters.add({
          messagesIn: added.length,
          bytesIn: added.reduce((n, s) => n + s.message.body.length, 0),
        });
      }
      return stored;
    });
  }

  /**
   * §7: stores a message received on `session` (emitting "message" when it
   * is new), then acknowledges it on that session if it is still open.
   */
  receive(session: Session, record: Extract<DirectRecord, { type: "message" }>): void {
    const seq = session.stats.framesIn - 1;
    const from = session.peer.meteorId;
    this.#commits.add({ id: record.id, from, kind: "text", body: utf8(record.text), seq })
      .then(({ added, message }) => {
        if (added) {
          this.#components.events.emit("message", {
            id: record.id,
            from: formatMeteorId(from),
            text: record.text,
            receivedAt: message.receivedAt,
            seq,
          });
        }
        if (!session.closed) session.send(encodeRecord({ type: "ack", id: record.id }));
      })
      .catch((err) => this.#components.debug("storing a message", err));
  }
}
