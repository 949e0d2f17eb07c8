/**
 * Durable delivery of direct messages (docs/protocol.md §7): queues texts in
 * the store's outbox, sends what is pending on a channel to its recipient,
 * marks acknowledged messages delivered, and says why messages wait.
 *
 * @module
 */
import { constantTimeEqual, fromHex, toHex, utf8 } from "../../core/bytes.ts";
import { type ErrorCode, isMeteorError, MeteorError } from "../../core/errors.ts";
import type { EventBus } from "../../core/events.ts";
import { resolvePeerName } from "../../core/contacts.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { PluginCounters } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import { encodeRecord, MAX_TEXT_BYTES } from "./_records.ts";
import type { Channel } from "./channel.ts";
import type { Channels } from "./channels.ts";
import type { PeerDirectory } from "./peers.ts";
import type { MessageStore } from "./store/mod.ts";

/** Pending outbox entries sent per flush. */
const FLUSH_BATCH = 100;

/**
 * Why messages to a peer are still waiting (GET /v1/outbox, `meteor send
 * --wait`): the stable code of the last failed delivery attempt and a
 * sentence saying what would help.
 */
export interface WaitingReason {
  /** E_NO_ADDRESS, E_UNREACHABLE, E_TIMEOUT, E_HANDSHAKE, ... */
  code: ErrorCode;
  /** What happened and what would help, naming the contact. */
  message: string;
}

/** What {@link Outbox.send} returns. */
export interface SendResult {
  /** The message id (outbox and the peer's inbox). */
  id: string;
  /** The recipient's MeteorID in text form. */
  to: string;
  /** "queued": stored in the outbox; delivery is acknowledged later. */
  status: "queued";
}

/** What an {@link Outbox} uses. */
export interface OutboxComponents {
  /** The node's own MeteorID (no recipient). */
  meteorId: Uint8Array;
  /** The outbox table. */
  outbox: MessageStore["outbox"];
  /** The node's contacts, to resolve names. */
  contacts: Contacts;
  /** The plugin's durable counters. */
  counters: PluginCounters;
  /** The event bus, for "p2p:delivered". */
  events: EventBus;
  /** Logs why messages wait. */
  logger: Logger;
  /** The node's counters (messagesOut). */
  counts: Record<string, number>;
  /** Aborted when the node stops. */
  signal: AbortSignal;
  /** The channels messages are sent on. */
  channels: Channels;
  /** Names peers in waiting reasons. */
  peers: PeerDirectory;
  /** Logs a failure nobody awaits. */
  debug(what: string, err: unknown): void;
}

/**
 * The node's side of the outbox: queueing, flushing to recipients and
 * acknowledgements.
 *
 * @example
 * ```ts ignore
 * const outbox = new Outbox({ keys, outbox, contacts, counters, events, logger, counts, ... });
 * outbox.send("alice", "hello");
 * ```
 */
export class Outbox {
  readonly #components: OutboxComponents;
  readonly #flushing = new Map<string, Promise<void>>();
  /** Why delivery to each hex MeteorID last failed; cleared when a channel opens. */
  readonly #waiting = new Map<string, WaitingReason>();

  /** An outbox with no delivery running. */
  constructor(components: OutboxComponents) {
    this.#components = components;
  }

  /**
   * Queues a text message to a contact name or a MeteorID (text form) and
   * starts delivering it. Returns once it is durably queued.
   *
   * @throws {MeteorError} E_MALFORMED (empty text), E_NOT_FOUND (no such
   * contact), E_BAD_ID (malformed, or this node's own ID), E_TOO_LARGE
   */
  send(to: string, text: string): SendResult {
    if (typeof to !== "string" || typeof text !== "string") {
      throw new MeteorError("E_MALFORMED", 'Cannot send message: "to" and "text" must be strings');
    }
    if (text === "") throw new MeteorError("E_MALFORMED", "Cannot send message: the text is empty");
    const recipient = resolvePeerName(this.#components.contacts, to, "send message");
    const body = utf8(text);
    if (body.length > MAX_TEXT_BYTES) {
      throw new MeteorError(
        "E_TOO_LARGE",
        `Cannot send message: text over ${MAX_TEXT_BYTES} bytes`,
      );
    }
    if (constantTimeEqual(recipient, this.#components.meteorId)) {
      throw new MeteorError("E_BAD_ID", "Cannot send message: that is this node's own MeteorID");
    }
    const queued = this.#components.outbox.enqueue({ to: recipient, kind: "text", body });
    this.flushLater(toHex(recipient));
    return { id: queued.id, to: formatMeteorId(recipient), status: "queued" };
  }

  /**
   * Why messages to `meteorId` are waiting, or null when no delivery attempt
   * has failed since the last channel to it opened.
   */
  waiting(meteorId: Uint8Array): WaitingReason | null {
    return this.#waiting.get(toHex(meteorId)) ?? null;
  }

  /** §7: marks message `id` to `from` delivered once `from` acknowledged it. */
  acknowledged(from: Uint8Array, id: string): void {
    const { outbox, counters, events, counts } = this.#components;
    const queued = outbox.get(id);
    if (queued && constantTimeEqual(queued.to, from)) {
      if (outbox.markDelivered(id)) {
        counts.messagesOut++;
        counters.add({ messagesOut: 1, bytesOut: queued.body.length });
        events.emit("p2p:delivered", { id, to: formatMeteorId(queued.to) });
      }
    }
  }

  /** Starts delivering to `hex` without waiting for it. */
  flushLater(hex: string): void {
    this.#flush(hex).catch((err) => this.#components.debug("delivery", err));
  }

  /** Delivers to `meteorId` when messages to it are pending. */
  async flushPending(meteorId: Uint8Array): Promise<void> {
    if (this.#components.outbox.pending(meteorId, 1).length > 0) {
      await this.#flush(toHex(meteorId));
    }
  }

  /** Delivers to every recipient with pending messages; failures are left waiting. */
  async flushAll(): Promise<void> {
    const recipients = new Set(
      this.#components.outbox.pending(undefined, 1000).map((m) => toHex(m.to)),
    );
    await Promise.all([...recipients].map((hex) => this.#flush(hex).catch(() => {})));
  }

  /** Sends every pending outbox entry for `hex` not yet sent on the current channel. */
  #flush(hex: string): Promise<void> {
    const running = this.#flushing.get(hex);
    if (running) return running.then(() => this.#flush(hex));
    const run = this.#deliver(hex).finally(() => this.#flushing.delete(hex));
    this.#flushing.set(hex, run);
    return run;
  }

  async #deliver(hex: string): Promise<void> {
    const { outbox, channels, signal } = this.#components;
    const meteorId = fromHex(hex);
    if (outbox.pending(meteorId, 1).length === 0) return;
    let channel: Channel;
    try {
      channel = await channels.to(hex);
    } catch (err) {
      this.#wait(hex, err);
      throw err;
    }
    this.#waiting.delete(hex);
    const sent = channels.sent(hex, channel);
    for (const message of outbox.pending(meteorId, FLUSH_BATCH)) {
      if (sent.has(message.id) || channel.session.closed || signal.aborted) continue;
      outbox.recordAttempt(message.id);
      const text = new TextDecoder().decode(message.body);
      channel.session.send(
        encodeRecord({ type: "message", id: message.id, sentAt: message.createdAt, text }),
      );
      sent.add(message.id);
      channels.maybeRekey(channel);
      await channel.framed.drained();
    }
  }

  /** Records why messages to `hex` wait; a new reason is logged once, not at every retry. */
  #wait(hex: string, err: unknown): void {
    if (this.#components.signal.aborted) return;
    const reason = waitingReason(err, this.#components.peers.who(hex));
    const before = this.#waiting.get(hex);
    this.#waiting.set(hex, reason);
    if (before?.code !== reason.code) {
      this.#components.logger.info("messages waiting", {
        code: reason.code,
        reason: reason.message,
      });
    }
  }
}

/** The {@link WaitingReason} for a failed attempt to open a channel to `who`. */
function waitingReason(err: unknown, who: string): WaitingReason {
  if (isMeteorError(err, "E_NO_ADDRESS")) {
    return {
      code: err.code,
      message: `no known address for ${who}: add its identity document ('meteor id' on ` +
        "their side) or a bootstrap address, or wait for it to connect",
    };
  }
  if (isMeteorError(err) && err.code !== "E_UNREACHABLE") {
    return { code: err.code, message: `cannot open a session with ${who}: ${err.message}` };
  }
  return {
    code: "E_UNREACHABLE",
    message: `cannot connect to ${who} at its known addresses (offline, or its addresses ` +
      "changed: add its new identity document); retrying",
  };
}
