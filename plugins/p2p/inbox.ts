/**
 * Receiving direct messages (docs/protocol.md §7): a message record is
 * stored in the inbox once, then acknowledged, also when it was a repeat.
 *
 * @module
 */
import { utf8 } from "../../core/bytes.ts";
import type { EventBus } from "../../core/events.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { PluginCounters } from "../../core/plugin.ts";
import { type DirectRecord, encodeRecord } from "./_records.ts";
import type { Session } from "./session/mod.ts";
import type { MessageStore } from "./store/mod.ts";

/** What {@link receiveMessage} uses. */
export interface InboxComponents {
  /** The inbox table. */
  inbox: MessageStore["inbox"];
  /** The plugin's durable counters. */
  counters: PluginCounters;
  /** The event bus, for "message". */
  events: EventBus;
  /** The node's counters (messagesIn). */
  counts: Record<string, number>;
}

/**
 * §7: stores a message received on `session` (emitting "message" when it is
 * new), then acknowledges it.
 */
export function receiveMessage(
  { inbox, counters, events, counts }: InboxComponents,
  session: Session,
  record: Extract<DirectRecord, { type: "message" }>,
): void {
  const body = utf8(record.text);
  const seq = session.stats.framesIn - 1;
  const { added, message } = inbox.add({
    id: record.id,
    from: session.peer.meteorId,
    kind: "text",
    body,
    seq,
  });
  if (added) {
    counts.messagesIn++;
    counters.add({ messagesIn: 1, bytesIn: body.length });
    events.emit("message", {
      id: record.id,
      from: formatMeteorId(session.peer.meteorId),
      text: record.text,
      receivedAt: message.receivedAt,
      seq,
    });
  }
  session.send(encodeRecord({ type: "ack", id: record.id }));
}
