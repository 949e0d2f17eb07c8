/**
 * Publishing this node's identity document in Meteor's DHT (docs/dht.md
 * §4): a freshly signed document with the host's current addresses, put
 * under the node's record key at start, every `republishMs`, and soon after
 * the addresses change; a put that no peer, or too few of the closest,
 * accepted is retried with backoff.
 *
 * @module
 */
import type { Libp2p } from "libp2p";
import { encodeDocument } from "../../core/identity/mod.ts";
import type { DocumentSigner } from "../../core/plugin.ts";
import type { DhtConfig } from "./config.ts";
import { recordKey } from "./record.ts";
import type { MeteorDht } from "./service.ts";

/** Identity documents carry at most 16 addresses of at most 256 characters (docs/identity.md §4). */
const MAX_ADDRESSES = 16;
const MAX_ADDRESS_LENGTH = 256;
/** How long after an address change the node publishes, in ms (changes come in bursts). */
export const ADDRESS_SETTLE_MS = 1000;
/** The first retry after a put no peer accepted, in ms; it doubles up to {@link MAX_RETRY_MS}. */
export const FIRST_RETRY_MS = 2000;
/** The longest wait between retries of a failed put, in ms. */
export const MAX_RETRY_MS = 5 * 60 * 1000;
/** kad-dht's k: a put goes to the k peers closest to the key that answered the walk. */
export const K = 20;

/**
 * Whether a put that `accepted` peers took reached enough of the closest:
 * at least half of k, or of the routing table when it holds fewer peers
 * (docs/dht.md §4). A put under load can lose most of its requests to
 * timeouts and still be accepted by one peer, where a lookup rarely finds it.
 */
export function reachedEnough(accepted: number, routingTable: number): boolean {
  return accepted > 0 && accepted * 2 >= Math.min(K, routingTable);
}

/** What a {@link Publisher} uses. */
export interface PublisherComponents {
  /** Meteor's DHT. */
  dht: MeteorDht;
  /** The shared host (its addresses and their changes). */
  libp2p: Libp2p;
  /** Signs this node's documents. */
  documents: DocumentSigner;
  /** This node's MeteorID. */
  meteorId: Uint8Array;
  /** republishMs, publishTimeoutMs. */
  config: Pick<DhtConfig, "republishMs" | "publishTimeoutMs">;
  /** The plugin's counters (published, publishFailures, publishShort, lastPublishPeers). */
  counts: Record<string, number>;
  /** Logs a failure nobody awaits. */
  debug(what: string, err: unknown): void;
}

/** Keeps this node's record in the DHT fresh. */
export class Publisher {
  readonly #c: PublisherComponents;
  readonly #stopped = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #again = false;
  #retryMs = FIRST_RETRY_MS;
  #addresses = "";

  /** A publisher that has not published yet. */
  constructor(components: PublisherComponents) {
    this.#c = components;
  }

  /** Publishes now and keeps republishing; reacts to address changes. */
  start(): void {
    this.#c.libp2p.addEventListener("self:peer:update", () => {
      if (this.#addressList() !== this.#addresses) this.#schedule(ADDRESS_SETTLE_MS);
    }, { signal: this.#stopped.signal });
    this.publish();
  }

  /**
   * Starts a publication (or asks for one more after the one running) and
   * resolves when it is done.
   */
  publish(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    clearTimeout(this.#timer);
    this.#running = this.#put().finally(() => {
      this.#running = null;
      if (this.#again && !this.#stopped.signal.aborted) {
        this.#again = false;
        this.publish();
      }
    });
    return this.#running;
  }

  /** Stops publishing (a put under way is aborted). */
  stop(): void {
    this.#stopped.abort();
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.publish(), ms);
  }

  #addressList(): string {
    return this.#c.libp2p.getMultiaddrs().map(String).filter((a) => a.length <= MAX_ADDRESS_LENGTH)
      .slice(0, MAX_ADDRESSES).join(" ");
  }

  async #put(): Promise<void> {
    const { dht, documents, meteorId, config, counts } = this.#c;
    const addresses = this.#addressList();
    let accepted = 0;
    try {
      const document = encodeDocument(
        await documents.sign({ addresses: addresses === "" ? [] : addresses.split(" ") }),
      );
      const signal = AbortSignal.any([
        this.#stopped.signal,
        AbortSignal.timeout(config.publishTimeoutMs),
      ]);
      for await (const event of dht.put(recordKey(meteorId), document, { signal })) {
        if (event.name === "PEER_RESPONSE" && event.messageName === "PUT_VALUE") accepted++;
      }
    } catch (err) {
      this.#c.debug("publish", err);
    }
    if (this.#stopped.signal.aborted) return;
    counts.lastPublishPeers = accepted;
    if (accepted > 0) {
      counts.published++;
      this.#addresses = addresses;
    } else {
      counts.publishFailures++;
    }
    if (reachedEnough(accepted, dht.routingTable.size)) {
      this.#retryMs = FIRST_RETRY_MS;
      this.#schedule(config.republishMs);
    } else {
      if (accepted > 0) counts.publishShort++;
      this.#schedule(Math.min(this.#retryMs, config.republishMs));
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    }
  }
}
