/**
 * The running pubsub node: subscriptions (persisted), publishing signed
 * envelopes, delivering verified messages as `pubsub:message` events, and
 * private topics whose keys travel as `pubsub/key` records (docs/pubsub.md).
 *
 * @module
 */
import type { Message } from "@libp2p/gossipsub";
import { constantTimeEqual, fromHex, toHex } from "../../core/bytes.ts";
import { type HybridSigner, sha256 } from "../../core/crypto/mod.ts";
import { MeteorError } from "../../core/errors.ts";
import type { EventBus } from "../../core/events.ts";
import { formatMeteorId, parseDocument } from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { Decryptor, NodeIdentity, PluginCounters } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import type { IdentityDirectory } from "../p2p/mod.ts";
import type { RecordChannel } from "../p2p/records.ts";
import type { PubSubConfig } from "./config.ts";
import {
  boundHeader,
  checkTopic,
  encodeHeader,
  type Envelope,
  ENVELOPE_OVERHEAD,
  type EnvelopeKind,
  NONCE_LENGTH,
  sealEnvelope,
} from "./envelope.ts";
import { type Router, TOPIC_SCORE_PARAMS } from "./gossip.ts";
import {
  checkTopicName,
  GROUP_ID_LENGTH,
  GROUP_TOPIC_PREFIX,
  groupTopic,
  openBody,
  openGrant,
  sealBody,
  sealGrant,
} from "./group.ts";
import type { Group, PubSubStore } from "./store.ts";
import { TrafficCounter } from "./_traffic.ts";
import type { EnvelopeValidator } from "./validator.ts";

/** The record type that carries key grants. */
export const GRANT_RECORD = "pubsub/key";
/** The most private topics a node keeps (grants past it are refused). */
export const MAX_GROUPS = 1_000;
/** The AEAD tag a private body adds. */
const TAG_LENGTH = 16;

/** A delivered message, as the `pubsub:message` event carries it. */
export interface DeliveredMessage {
  /** The topic. */
  topic: string;
  /** The author's MeteorID (proven by the envelope's bundle and signature). */
  from: string;
  /** The text. */
  text: string;
  /** Always true: unverified messages are dropped before delivery. */
  verified: true;
  /** Whether it came on a private topic (and was opened with its key). */
  private: boolean;
  /** The gossipsub message ID: SHA-256 of the envelope, hex. */
  msgId: string;
  /** The author's timestamp, Unix ms. */
  sentAt: number;
  /** When this node received it, Unix ms. */
  receivedAt: number;
}

/** One topic as GET /v1/topics lists it. */
export interface TopicInfo {
  /** The topic. */
  topic: string;
  /** Whether this node is subscribed. */
  subscribed: boolean;
  /** Peers known to be subscribed to it. */
  peers: number;
  /** Peers in this node's gossipsub mesh for it. */
  meshPeers: number;
  /** For a private topic: "owner" or "member"; null for a public one. */
  role: "owner" | "member" | null;
  /** For a private topic: the newest key epoch held; null for a public one. */
  epoch: number | null;
  /** For a private topic this node owns: its members' MeteorIDs. */
  members?: string[];
  /** The gossipsub topic it travels on: the name for a public topic, derived for a private one. */
  gossipTopic: string;
}

/** What the node is built from. */
export interface PubSubDeps {
  router: Router;
  validator: EnvelopeValidator;
  store: PubSubStore;
  config: PubSubConfig;
  identity: NodeIdentity;
  signer: HybridSigner;
  decryptor: Decryptor;
  records: RecordChannel;
  directory: IdentityDirectory;
  /** The node's contacts: a first key grant is accepted only from one (docs/pubsub.md §4.1). */
  contacts: Contacts;
  events: EventBus;
  counters: PluginCounters;
  logger: Logger;
}

/** The pubsub node of one Meteor node. */
export class PubSub {
  /** Delivery and group figures (the validator keeps the drop counts). */
  readonly counts = {
    published: 0,
    delivered: 0,
    unreadable: 0,
    grantsIn: 0,
    grantsRefused: 0,
    /** Grants refused because the sender is not a contact (counted in grantsRefused too). */
    invitesRefused: 0,
  };
  readonly #deps: PubSubDeps;
  readonly #self: Uint8Array;
  readonly #traffic: TrafficCounter;
  readonly #stopped = new AbortController();

  /** Resubscribes the stored subscriptions and starts delivering. */
  constructor(deps: PubSubDeps) {
    this.#deps = deps;
    this.#self = deps.identity.meteorId;
    this.#traffic = new TrafficCounter(deps.counters);
    const { router, records } = deps;
    router.addEventListener("message", (e) => this.#deliver(e.detail), {
      signal: this.#stopped.signal,
    });
    const unhandle = records.handle(GRANT_RECORD, (r) => this.#grant(r.from, r.payload));
    this.#stopped.signal.addEventListener("abort", unhandle);
    for (const topic of deps.store.subscriptions()) this.#join(topic);
  }

  /**
   * Subscribes (persistently); false when already subscribed. `topic` is a
   * name (a private topic's, for one this node holds a key of) or, to relay
   * a private topic one is no member of, its gossipsub topic.
   */
  subscribe(topic: string): boolean {
    checkTopic(topic);
    const added = this.#deps.store.subscribe(topic);
    this.#join(topic);
    return added;
  }

  /** Unsubscribes; false when it was not subscribed. */
  unsubscribe(topic: string): boolean {
    checkTopic(topic);
    const removed = this.#deps.store.unsubscribe(topic);
    this.#leave(this.#gossipTopic(topic));
    return removed;
  }

  /**
   * Publishes `text` on `topic`, sealed under the topic key when it is a
   * private topic this node holds a key of.
   *
   * @throws {MeteorError} E_TOO_LARGE when the envelope would pass maxMessageBytes
   */
  async publish(topic: string, text: string): Promise<{ msgId: string; recipients: number }> {
    checkTopicName(topic);
    const { store, config, identity, signer, router } = this.#deps;
    const plaintext = new TextEncoder().encode(text);
    const group = store.group(topic);
    const gossip = group ? groupTopic(group.id) : topic;
    const kind: EnvelopeKind = group ? "private" : "public";
    const bodyLength = plaintext.length + (group ? TAG_LENGTH : 0);
    if (ENVELOPE_OVERHEAD + bodyLength > config.maxMessageBytes) {
      throw new MeteorError(
        "E_TOO_LARGE",
        `Cannot publish: the text may be at most ${
          config.maxMessageBytes - ENVELOPE_OVERHEAD - (group ? TAG_LENGTH : 0)
        } bytes`,
      );
    }
    const fields = {
      kind,
      timestamp: Date.now(),
      nonce: crypto.getRandomValues(new Uint8Array(NONCE_LENGTH)),
      author: identity.publicKeys,
      epoch: group?.epoch ?? 0,
    };
    let body: Uint8Array = plaintext;
    if (group) {
      const key = store.key(topic, group.epoch)!;
      const header = encodeHeader({ ...fields, bodyLength });
      body = sealBody(key, fields.nonce, boundHeader(gossip, header), plaintext);
      key.fill(0);
    }
    const data = await sealEnvelope(gossip, { ...fields, body }, signer);
    const { recipients } = await router.publish(gossip, data);
    const id = sha256(data);
    this.#deps.validator.remember(id);
    this.counts.published++;
    this.#traffic.add({ messagesOut: 1, bytesOut: data.length });
    return { msgId: toHex(id), recipients: recipients.length };
  }

  /** Every topic this node is subscribed to or holds a key of. */
  topics(): TopicInfo[] {
    const { store, router } = this.#deps;
    const subscribed = new Set(store.subscriptions());
    const groups = new Map(store.groups().map((g) => [g.topic, g]));
    const names = [...new Set([...subscribed, ...groups.keys()])].sort();
    return names.map((topic) => {
      const group = groups.get(topic);
      const owner = group !== undefined && constantTimeEqual(group.owner, this.#self);
      const gossipTopic = group ? groupTopic(group.id) : topic;
      return {
        topic,
        subscribed: subscribed.has(topic),
        peers: router.getSubscribers(gossipTopic).length,
        meshPeers: router.getMeshPeers(gossipTopic).length,
        role: group ? (owner ? "owner" : "member") : null,
        epoch: group?.epoch ?? null,
        ...(owner ? { members: store.members(topic).map(formatMeteorId) } : {}),
        gossipTopic,
      };
    });
  }

  /**
   * Creates a private topic owned by this node (epoch 1) and subscribes to it.
   *
   * @throws {MeteorError} E_EXISTS when this node already knows a private topic of that name
   */
  create(topic: string): { topic: string; epoch: number; gossipTopic: string } {
    checkTopicName(topic);
    const { store } = this.#deps;
    if (store.group(topic)) {
      throw new MeteorError("E_EXISTS", `Cannot create private topic "${topic}": it exists`);
    }
    const id = crypto.getRandomValues(new Uint8Array(GROUP_ID_LENGTH));
    store.putKey(topic, id, this.#self, 1, crypto.getRandomValues(new Uint8Array(32)));
    this.#leave(topic); // a public subscription of that name now means the private topic
    this.subscribe(topic);
    return { topic, epoch: 1, gossipTopic: groupTopic(id) };
  }

  /**
   * Makes `member` a member of a private topic this node owns: sends it the
   * current key, sealed to its X-Wing key, over the Meteor session.
   *
   * @throws {MeteorError} E_NOT_FOUND, E_FORBIDDEN (not the owner); the
   * session's E_NO_ADDRESS, E_UNREACHABLE, E_TIMEOUT when it cannot be reached
   */
  async invite(topic: string, member: Uint8Array): Promise<{ topic: string; epoch: number }> {
    const group = this.#owned(topic, "invite to");
    if (constantTimeEqual(member, this.#self)) {
      throw new MeteorError("E_MALFORMED", `Cannot invite to "${topic}": the owner is a member`);
    }
    await this.#sendKey(group, group.epoch, member);
    this.#deps.store.addMember(topic, member);
    return { topic, epoch: group.epoch };
  }

  /**
   * Removes `member` and rotates the key: a new epoch, its key sent to every
   * remaining member. Resolves to the new epoch and the members the new key
   * could not be sent to (invite them again to retry).
   *
   * @throws {MeteorError} E_NOT_FOUND (no such topic or member), E_FORBIDDEN
   */
  async remove(
    topic: string,
    member: Uint8Array,
  ): Promise<{ topic: string; epoch: number; undelivered: string[] }> {
    const group = this.#owned(topic, "remove from");
    const { store } = this.#deps;
    if (!store.removeMember(topic, member)) {
      throw new MeteorError(
        "E_NOT_FOUND",
        `Cannot remove from "${topic}": ${formatMeteorId(member)} is not a member`,
      );
    }
    const epoch = group.epoch + 1;
    store.putKey(topic, group.id, this.#self, epoch, crypto.getRandomValues(new Uint8Array(32)));
    const undelivered: string[] = [];
    await Promise.all(
      store.members(topic).map(async (m) => {
        try {
          await this.#sendKey(group, epoch, m);
        } catch (err) {
          undelivered.push(formatMeteorId(m));
          this.#deps.logger.warn("cannot send topic key", { topic, error: String(err) });
        }
      }),
    );
    return { topic, epoch, undelivered: undelivered.sort() };
  }

  /** Stops delivering and handling grants, and writes the pending traffic counts. */
  stop(): void {
    this.#stopped.abort();
    this.#traffic.flush();
  }

  /** The gossipsub topic of subscription `topic`: derived for a private topic held. */
  #gossipTopic(topic: string): string {
    const group = this.#deps.store.group(topic);
    return group ? groupTopic(group.id) : topic;
  }

  #join(topic: string): void {
    const { router, validator } = this.#deps;
    const gossip = this.#gossipTopic(topic);
    router.score.params.topics[gossip] ??= { ...TOPIC_SCORE_PARAMS };
    router.topicValidators.set(gossip, validator.validate);
    router.subscribe(gossip);
  }

  #leave(gossip: string): void {
    this.#deps.router.unsubscribe(gossip);
    this.#deps.router.topicValidators.delete(gossip);
  }

  #owned(topic: string, action: string) {
    checkTopicName(topic);
    const group = this.#deps.store.group(topic);
    if (!group) {
      throw new MeteorError("E_NOT_FOUND", `Cannot ${action} "${topic}": no private topic`);
    }
    if (!constantTimeEqual(group.owner, this.#self)) {
      throw new MeteorError(
        "E_FORBIDDEN",
        `Cannot ${action} "${topic}": this node is not its owner`,
      );
    }
    return group;
  }

  async #sendKey(group: Group, epoch: number, member: Uint8Array): Promise<void> {
    const { directory, records, store } = this.#deps;
    const { peer } = await directory.resolve(member, AbortSignal.timeout(15_000));
    const key = store.key(group.topic, epoch)!;
    try {
      const grant = await sealGrant(parseDocument(peer.document).publicKeys.xwing, {
        topic: group.topic,
        id: group.id,
        epoch,
        key,
      });
      await records.send(member, GRANT_RECORD, grant);
    } finally {
      key.fill(0);
    }
  }

  /**
   * A key grant arrived from `from` (authenticated by the Meteor session).
   * The first grant of a private topic is accepted only from a contact;
   * later ones only from the owner recorded then (docs/pubsub.md §4.1).
   */
  async #grant(from: Uint8Array, payload: Uint8Array): Promise<void> {
    const { store, decryptor, events, contacts } = this.#deps;
    const refuse = (why: string) => {
      this.counts.grantsRefused++;
      return new MeteorError("E_FORBIDDEN", `Cannot accept topic key: ${why}`);
    };
    let granted;
    try {
      granted = await openGrant(decryptor, payload);
    } catch {
      throw refuse("it does not open");
    }
    try {
      const known = store.group(granted.topic);
      if (known && !constantTimeEqual(known.owner, from)) {
        throw refuse("not from the topic's owner");
      }
      if (!known) {
        if (!contacts.byId(from)) {
          this.counts.invitesRefused++;
          throw refuse("the sender is not a contact");
        }
        if (store.groups().length >= MAX_GROUPS) throw refuse(`${MAX_GROUPS} topics held`);
      }
      const other = store.groupById(granted.id);
      if (other && other.topic !== granted.topic) {
        throw refuse("its topic ID belongs to another topic");
      }
      if (known && !constantTimeEqual(known.id, granted.id)) this.#leave(groupTopic(known.id));
      store.putKey(granted.topic, granted.id, from, granted.epoch, granted.key);
    } finally {
      granted.key.fill(0);
    }
    this.counts.grantsIn++;
    this.#leave(granted.topic); // a public subscription of that name now means the private topic
    this.subscribe(granted.topic);
    events.emit("pubsub:key", {
      topic: granted.topic,
      epoch: granted.epoch,
      owner: formatMeteorId(from),
    });
  }

  #deliver(message: Message): void {
    const accepted = this.#deps.validator.accepted(message);
    if (!accepted) return;
    const { envelope, id } = accepted;
    // A private topic's messages open with its key; on a gossipsub topic of a private topic this
    // node holds no key of (it relays), and for a private envelope elsewhere, nothing is readable.
    const group = this.#groupOf(message.topic);
    const relayed = !group && message.topic.startsWith(GROUP_TOPIC_PREFIX);
    let text: string | undefined;
    if (group && envelope.kind === "private") text = this.#open(group, message.topic, envelope);
    if (!group && !relayed && envelope.kind === "public") {
      text = new TextDecoder().decode(envelope.body);
    }
    if (text === undefined) {
      this.counts.unreadable++;
      return;
    }
    this.counts.delivered++;
    this.#traffic.add({ messagesIn: 1, bytesIn: message.data.length });
    this.#deps.events.emit("pubsub:message", {
      topic: group?.topic ?? message.topic,
      from: formatMeteorId(envelope.from),
      text,
      verified: true,
      private: group !== undefined,
      msgId: toHex(id),
      sentAt: envelope.timestamp,
      receivedAt: Date.now(),
    });
  }

  /** The private topic held whose gossipsub topic is `gossip`, if any. */
  #groupOf(gossip: string): Group | undefined {
    const hex = gossip.startsWith(GROUP_TOPIC_PREFIX)
      ? gossip.slice(GROUP_TOPIC_PREFIX.length)
      : "";
    if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
    return this.#deps.store.groupById(fromHex(hex));
  }

  #open(group: Group, gossip: string, envelope: Envelope): string | undefined {
    const key = this.#deps.store.key(group.topic, envelope.epoch);
    if (!key) return undefined;
    try {
      const plaintext = openBody(
        key,
        envelope.nonce,
        boundHeader(gossip, envelope.header),
        envelope.body,
      );
      return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
    } catch {
      return undefined;
    } finally {
      key.fill(0);
    }
  }
}
