/**
 * Receiving direct messages (docs/protocol.md §7): a message record is
 * stored in the inbox once, then acknowledged, also when it was a repeat.
 *
 * @module
 */
import { utf8 } from "../../core/bytes.ts";
import type { EventBus } from "../../core/events.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { NodeStore } from "../../core/store/mod.ts";
import { PLUGIN } from "./_counts.ts";
import { type DirectRecord, encodeRecord } from "./_records.ts";
import type { Session } from "./session/mod.ts";

/** What {@link receiveMessage} uses. */
export interface InboxComponents {
  /** Node state: the inbox and the stored counters. */
  store: NodeStore;
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
  { store, events, counts }: InboxComponents,
  session: Session,
  record: Extract<DirectRecord, { type: "message" }>,
): void {
  const body = utf8(record.text);
  const seq = session.stats.framesIn - 1;
  const { added, message } = store.inbox.add({
    id: record.id,
    from: session.peer.meteorId,
    kind: "text",
    body,
    seq,
  });
  if (added) {
    counts.messagesIn++;
    store.counters.add(PLUGIN, { messagesIn: 1, bytesIn: body.length });
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
