/**
 * Durable delivery of direct messages (docs/protocol.md §7): queues texts in
 * the store's outbox, flushes each recipient on its own (a bounded number at
 * once, one flush per recipient, backing off from unreachable ones), sends
 * each pending message once per session, marks acknowledged messages
 * delivered, prunes delivered ones, and says why messages wait. Every outbox
 * write of one event-loop turn (queued messages, delivery attempts,
 * acknowledgements) is one commit.
 *
 * @module
 */
import { constantTimeEqual, fromHex, fromUtf8, toHex, utf8 } from "../../core/bytes.ts";
import { type ErrorCode, isMeteorError, MeteorError } from "../../core/errors.ts";
import type { EventBus } from "../../core/events.ts";
import { resolvePeerName } from "../../core/contacts.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { PluginCounters } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import { encodeRecord, MAX_TEXT_BYTES } from "./_records.ts";
import type { Channels } from "./channels.ts";
import type { P2PConfig } from "./config.ts";
import type { PeerDirectory } from "./peers.ts";
import type { Session } from "./session/mod.ts";
import type { MessageStore, OutboxMessage } from "./store/mod.ts";
import { GroupCommit } from "./store/_group_commit.ts";

/** Pending outbox entries read and recorded as attempted in one commit while flushing. */
const FLUSH_BATCH = 1000;
/** Frames sealed and written together while flushing. */
const SEND_SLICE = 64;
/** The most messages one {@link Outbox.sendAll} takes (one API request). */
export const MAX_SEND_BATCH = 1000;
/** Delivered messages between two prunes of the outbox (besides the retry timer's). */
const PRUNE_EVERY = 1000;

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
  /** Retry, backoff, concurrency and pruning settings. */
  config: Pick<
    P2PConfig,
    "retryMs" | "retryMaxMs" | "flushConcurrency" | "keepDeliveredMs" | "keepDelivered"
  >;
  /** Aborted when the node stops. */
  signal: AbortSignal;
  /** The channels messages are sent on. */
  channels: Channels;
  /** Names peers in waiting reasons. */
  peers: PeerDirectory;
  /** Logs a failure nobody awaits. */
  debug(what: string, err: unknown): void;
}

/** One recipient's flush state. */
interface Recipient {
  /** A flush to it is running. */
  running: boolean;
  /** Something new was triggered while it ran: flush again after it. */
  again: boolean;
  /** Failed attempts to reach it since the last success. */
  failures: number;
  /** No retry-timer flush before this time (ms), after failures. */
  notBefore: number;
}

/** A message to send: a contact name or MeteorID (text form), and its text. */
export interface OutgoingText {
  /** Contact name or MeteorID. */
  to: string;
  /** UTF-8 text, 1 to MAX_TEXT_BYTES bytes. */
  text: string;
}

/**
 * One outbox write of a turn: a message to queue (its result is the queued
 * message), a delivery attempt, or an acknowledgement from `to`.
 */
type Write =
  | { queue: { to: Uint8Array; body: Uint8Array } }
  | { attempt: string }
  | { ack: { id: string; to: Uint8Array } };

/**
 * The node's side of the outbox: queueing, flushing to recipients and
 * acknowledgements.
 *
 * @example
 * ```ts ignore
 * const outbox = new Outbox({ meteorId, outbox, contacts, counters, events, logger, ... });
 * await outbox.send("alice", "hello");
 * ```
 */
export class Outbox {
  readonly #components: OutboxComponents;
  readonly #recipients = new Map<string, Recipient>();
  /** Recipients due a flush that wait for a free slot, in order. */
  readonly #ready: string[] = [];
  #active = 0;
  /** The highest outbox seqno sent on each session: nothing at or below it is sent there again. */
  readonly #sentUpTo = new WeakMap<Session, number>();
  /** Why delivery to each hex MeteorID last failed; cleared when a channel opens. */
  readonly #waiting = new Map<string, WaitingReason>();
  readonly #writes: GroupCommit<Write, OutboxMessage | null>;
  #deliveredSincePrune = 0;

  /** An outbox with no delivery running. */
  constructor(components: OutboxComponents) {
    this.#components = components;
    this.#writes = new GroupCommit((writes) => this.#write(writes));
  }

  /** Makes one turn's writes in one commit; the queued messages are the results of their writes. */
  #write(writes: Write[]): (OutboxMessage | null)[] {
    const enqueue = [];
    const attempts = [];
    const delivered = [];
    for (const write of writes) {
      if ("queue" in write) enqueue.push({ ...write.queue, kind: "text" as const });
      else if ("attempt" in write) attempts.push(write.attempt);
      else delivered.push(write.ack);
    }
    const written = this.#components.outbox.write({ enqueue, attempts, delivered });
    this.#delivered(written.delivered);
    let next = 0;
    return writes.map((write) => "queue" in write ? written.queued[next++] : null);
  }

  /**
   * Queues a text message to a contact name or a MeteorID (text form) and
   * starts delivering it. Resolves once it is durably queued (committed with
   * the other messages queued in the same turn).
   *
   * @throws {MeteorError} E_MALFORMED (empty text), E_NOT_FOUND (no such
   * contact), E_BAD_ID (malformed, or this node's own ID), E_TOO_LARGE
   */
  async send(to: string, text: string): Promise<SendResult> {
    return (await this.sendAll([{ to, text }]))[0];
  }

  /**
   * Queues several text messages, all or none, in one commit (with the
   * other messages queued in the same turn), and starts delivering them.
   * Resolves with their results in order once they are durably queued. A
   * refused message refuses the whole batch with its code, naming its
   * position (from 0) when there are several.
   *
   * @throws {MeteorError} as {@link Outbox.send}; E_TOO_LARGE for more than
   * {@link MAX_SEND_BATCH} messages, E_MALFORMED for none
   */
  async sendAll(messages: readonly OutgoingText[]): Promise<SendResult[]> {
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new MeteorError("E_MALFORMED", "Cannot send messages: the list is empty");
    }
    if (messages.length > MAX_SEND_BATCH) {
      throw new MeteorError(
        "E_TOO_LARGE",
        `Cannot send messages: more than ${MAX_SEND_BATCH} in one batch`,
      );
    }
    // One contact lookup per name in the batch, not per message.
    const names = new Map<string, Uint8Array>();
    const resolve = (to: string) => {
      let id = names.get(to);
      if (id === undefined) {
        id = resolvePeerName(this.#components.contacts, to, "send message");
        names.set(to, id);
      }
      return id;
    };
    const writes = messages.map((message, i) => {
      try {
        return { queue: this.#checkText(message, resolve) };
      } catch (err) {
        throw messages.length === 1 ? err : batchError(err, i);
      }
    });
    const queued = await this.#writes.addAll(writes);
    for (const hex of new Set(queued.map((m) => toHex(m!.to)))) this.flushLater(hex);
    return queued.map((m) => ({ id: m!.id, to: formatMeteorId(m!.to), status: "queued" }));
  }

  /** The recipient (found by `resolve`) and UTF-8 body of a message to send, checked. */
  #checkText(
    { to, text }: OutgoingText,
    resolve: (to: string) => Uint8Array,
  ): { to: Uint8Array; body: Uint8Array } {
    if (typeof to !== "string" || typeof text !== "string") {
      throw new MeteorError("E_MALFORMED", 'Cannot send message: "to" and "text" must be strings');
    }
    if (text === "") throw new MeteorError("E_MALFORMED", "Cannot send message: the text is empty");
    const recipient = resolve(to);
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
    return { to: recipient, body };
  }

  /**
   * Why messages to `meteorId` are waiting, or null when no delivery attempt
   * has failed since the last channel to it opened.
   */
  waiting(meteorId: Uint8Array): WaitingReason | null {
    return this.#waiting.get(toHex(meteorId)) ?? null;
  }

  /**
   * §7: marks messages `ids` to `from` delivered once `from` acknowledged
   * them (an ack or an acks record; with the other writes of the same turn,
   * in one commit).
   */
  acknowledged(from: Uint8Array, ids: readonly string[]): void {
    this.#writes.addAll(ids.map((id) => ({ ack: { id, to: from } })))
      .catch((err) => this.#components.debug("acknowledgement", err));
  }

  /**
   * Starts delivering to `hex` without waiting for it. A recipient backing
   * off after failures is skipped unless `now` (it just connected or opened
   * a session).
   */
  flushLater(hex: string, now = false): void {
    const recipient = this.#recipient(hex);
    if (now) recipient.notBefore = 0;
    if (recipient.running) {
      recipient.again = true;
      return;
    }
    if (Date.now() < recipient.notBefore || this.#ready.includes(hex)) return;
    this.#ready.push(hex);
    this.#next();
  }

  /** Delivers to `meteorId` at once (it was just identified) when messages to it are pending. */
  flushPending(meteorId: Uint8Array): Promise<void> {
    if (this.#components.outbox.pending(meteorId, 1).length > 0) {
      this.flushLater(toHex(meteorId), true);
    }
    return Promise.resolve();
  }

  /**
   * The retry timer's round: starts a flush of every recipient with pending
   * messages that is not backing off, and prunes delivered messages.
   */
  flushAll(): void {
    for (const to of this.#components.outbox.recipients()) this.flushLater(toHex(to));
    this.#prune();
  }

  #recipient(hex: string): Recipient {
    let recipient = this.#recipients.get(hex);
    if (!recipient) {
      recipient = { running: false, again: false, failures: 0, notBefore: 0 };
      this.#recipients.set(hex, recipient);
    }
    return recipient;
  }

  /** Starts ready flushes while fewer than flushConcurrency run. */
  #next(): void {
    const { config, signal, outbox } = this.#components;
    while (this.#active < config.flushConcurrency && this.#ready.length > 0 && !signal.aborted) {
      const hex = this.#ready.shift()!;
      const recipient = this.#recipient(hex);
      recipient.running = true;
      this.#active++;
      this.#deliver(hex).then(
        () => {
          recipient.failures = 0;
          recipient.notBefore = 0;
        },
        (err) => {
          recipient.failures++;
          const delay = config.retryMs * 2 ** Math.min(recipient.failures - 1, 20);
          recipient.notBefore = Date.now() +
            Math.min(delay, Math.max(config.retryMaxMs, config.retryMs));
          this.#components.debug("delivery", err);
        },
      ).finally(() => {
        recipient.running = false;
        this.#active--;
        if (recipient.again) {
          recipient.again = false;
          this.flushLater(hex);
        } else if (recipient.failures === 0 && outbox.pending(fromHex(hex), 1).length === 0) {
          this.#recipients.delete(hex);
        }
        this.#next();
      });
    }
  }

  /**
   * Sends every pending message to `hex` that the current session has not
   * carried yet, oldest first, recording the attempts of each batch (with the
   * other writes of that turn) in one commit before sending it. A message waits for its acknowledgement on that session and is
   * sent again only on a later one (§7).
   */
  async #deliver(hex: string): Promise<void> {
    const { outbox, channels, signal } = this.#components;
    const meteorId = fromHex(hex);
    if (outbox.pending(meteorId, 1).length === 0) return;
    let channel;
    try {
      channel = await channels.to(hex);
    } catch (err) {
      this.#wait(hex, err);
      throw err;
    }
    this.#waiting.delete(hex);
    const { session } = channel;
    while (!session.closed && !signal.aborted) {
      const batch = outbox.pendingAfter(meteorId, this.#sentUpTo.get(session) ?? 0, FLUSH_BATCH);
      if (batch.length === 0) return;
      await this.#writes.addAll(batch.map((m) => ({ attempt: m.id })));
      // Frames go in slices: one batch cipher call (when the node's cipher says
      // batching wins) and one write each, with the rekey check (§6) between.
      for (let start = 0; start < batch.length; start += SEND_SLICE) {
        if (session.closed || signal.aborted) return;
        const slice = batch.slice(start, start + SEND_SLICE);
        this.#sentUpTo.set(session, slice[slice.length - 1].seqno);
        await session.sendBatch(slice.map((message) =>
          encodeRecord({
            type: "message",
            id: message.id,
            sentAt: message.createdAt,
            text: fromUtf8(message.body),
          })
        ));
        channels.maybeRekey(channel);
        await channel.framed.drained();
      }
    }
  }

  /** Counts and announces messages just marked delivered. */
  #delivered(marked: OutboxMessage[]): void {
    if (marked.length === 0) return;
    const { counters, events, counts } = this.#components;
    counts.messagesOut += marked.length;
    counters.add({
      messagesOut: marked.length,
      bytesOut: marked.reduce((n, m) => n + m.body.length, 0),
    });
    for (const m of marked) events.emit("p2p:delivered", { id: m.id, to: formatMeteorId(m.to) });
    this.#deliveredSincePrune += marked.length;
    if (this.#deliveredSincePrune >= PRUNE_EVERY) this.#prune();
  }

  /** Deletes delivered messages older than keepDeliveredMs or beyond the newest keepDelivered. */
  #prune(): void {
    const { outbox, config } = this.#components;
    this.#deliveredSincePrune = 0;
    outbox.pruneDelivered(Math.max(0, Date.now() - config.keepDeliveredMs));
    outbox.pruneDeliveredBeyond(config.keepDelivered);
  }

  /** Records why messages to `hex` wait; a new reason is logged once, not at every retry. */
  #wait(hex: string, err: unknown): void {
    if (this.#components.signal.aborted) return;
    this.#components.counts.deliveryFailures++;
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

/** `err` of the message at position `i` (from 0) of a batch: the same code, naming the position. */
export function batchError(err: unknown, i: number): unknown {
  if (!isMeteorError(err)) return err;
  return new MeteorError(err.code, `${err.message} (message ${i} of the batch)`);
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
