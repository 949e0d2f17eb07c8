/**
 * The topic validator (docs/pubsub.md §5): every envelope is checked before
 * gossipsub delivers or forwards it. Oversized, malformed, forged (bad
 * signature, or a libp2p author other than the envelope's) and stale ones
 * are rejected, which gossipsub's peer scoring (P4) holds against the peer
 * that sent them; each drop is counted by reason.
 *
 * @module
 */
import { type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import { constantTimeEqual, toHex } from "../../core/bytes.ts";
import { sha256 } from "../../core/crypto/mod.ts";
import { AuthorCache } from "./_authors.ts";
import { type Envelope, type ParsedEnvelope, parseEnvelope, verifyEnvelope } from "./envelope.ts";
import { MAX_CLOCK_SKEW_MS } from "./gossip.ts";

/** Why an envelope was dropped. */
export type DropReason = "oversized" | "malformed" | "forged" | "stale";

/** The validator's figures, by outcome. */
export type ValidationCounts = Record<DropReason | "accepted" | "duplicates", number>;

/** Accepted message IDs are remembered this long past the freshness window, at most this many. */
const MAX_REMEMBERED = 200_000;

/** What the validator checks against. */
export interface ValidatorOptions {
  /** The largest envelope. */
  maxMessageBytes: number;
  /** The freshness window. */
  maxAgeMs: number;
  /** The clock; default Date.now. */
  now?: () => number;
}

/** An accepted message: its verified envelope and gossipsub message ID. */
export interface Accepted {
  /** The envelope, with its author's proven MeteorID. */
  envelope: Envelope;
  /** SHA-256 of the message data. */
  id: Uint8Array;
}

/** Validates envelopes and remembers what it accepted (for delivery and duplicate counts). */
export class EnvelopeValidator {
  /** Figures by outcome. */
  readonly counts: ValidationCounts = {
    accepted: 0,
    duplicates: 0,
    oversized: 0,
    malformed: 0,
    forged: 0,
    stale: 0,
  };
  readonly #options: ValidatorOptions;
  readonly #now: () => number;
  /** The envelope each accepted message holds, for the delivery that follows. */
  readonly #parsed = new WeakMap<Message, Accepted>();
  /** The message ID gossipsub computed for each message's data, so it is hashed once. */
  readonly #ids = new WeakMap<Uint8Array, Uint8Array>();
  /** Recent authors, their keys imported. */
  readonly #authors = new AuthorCache();
  /** Accepted (and published) message IDs in hex, with when they may be forgotten. */
  readonly #seen = new Map<string, number>();

  /** A validator with `options`. */
  constructor(options: ValidatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The gossipsub topic validator. */
  readonly validate = async (
    _peer: PeerId,
    message: Message,
  ): Promise<TopicValidatorResult> => {
    const reason = await this.#check(message);
    if (reason === undefined) {
      this.counts.accepted++;
      this.remember(this.#parsed.get(message)!.id);
      return TopicValidatorResult.Accept;
    }
    this.counts[reason]++;
    return TopicValidatorResult.Reject;
  };

  /** The envelope and ID of a message this validator accepted. */
  accepted(message: Message): Accepted | undefined {
    return this.#parsed.get(message);
  }

  /**
   * Notes the message ID gossipsub computed for `data`: one already accepted
   * or published is a duplicate.
   */
  observe(data: Uint8Array, id: Uint8Array): void {
    this.#ids.set(data, id);
    const expiry = this.#seen.get(toHex(id));
    if (expiry !== undefined && expiry > this.#now()) this.counts.duplicates++;
  }

  /** Remembers an accepted or published message ID for the freshness window. */
  remember(id: Uint8Array): void {
    const now = this.#now();
    const key = toHex(id);
    this.#seen.delete(key);
    this.#seen.set(key, now + this.#options.maxAgeMs + 2 * MAX_CLOCK_SKEW_MS);
    // Insertion order is expiry order: drop from the front.
    for (const [first, expiry] of this.#seen) {
      if (expiry > now && this.#seen.size <= MAX_REMEMBERED) break;
      this.#seen.delete(first);
    }
  }

  async #check(message: Message): Promise<DropReason | undefined> {
    if (message.data.length > this.#options.maxMessageBytes) return "oversized";
    let envelope: ParsedEnvelope;
    try {
      envelope = parseEnvelope(message.data);
      if (envelope.kind === "public") {
        new TextDecoder("utf-8", { fatal: true }).decode(envelope.body);
      }
    } catch {
      return "malformed";
    }
    // StrictSign proved the libp2p author; it must be the envelope's author (same Ed25519 key).
    if (message.type !== "signed" || !constantTimeEqual(message.key.raw, envelope.author.ed25519)) {
      return "forged";
    }
    const age = this.#now() - envelope.timestamp;
    if (age > this.#options.maxAgeMs || age < -MAX_CLOCK_SKEW_MS) return "stale";
    const author = await this.#authors.of(envelope.author);
    try {
      await verifyEnvelope(message.topic, envelope, author.verifier);
    } catch {
      return "forged";
    }
    this.#authors.keep(author);
    this.#parsed.set(message, {
      envelope: { ...envelope, from: author.meteorId },
      id: this.#ids.get(message.data) ?? sha256(message.data),
    });
    return undefined;
  }
}
