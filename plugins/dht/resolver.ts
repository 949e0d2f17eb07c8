/**
 * The dht plugin's resolver (docs/dht.md §5): a MeteorID to its verified
 * identity document through the DHT, within a bounded time, with what the
 * lookup cost. Concurrent lookups of one MeteorID share one query, and the
 * identity directory's resolver does not ask again for a MeteorID just
 * missed (the outbox asks at every delivery round).
 *
 * @module
 */
import { fromHex, toHex } from "../../core/bytes.ts";
import { MeteorError } from "../../core/errors.ts";
import { formatMeteorId, parseDocument } from "../../core/identity/mod.ts";
import type { IdentityResolver, PeerIdentity } from "../../plugin.ts";
import { type Found, lookup, type Missed } from "./lookup.ts";
import type { MeteorDht } from "./service.ts";

/** How long the directory's resolver answers "not found" for a MeteorID after a miss, in ms. */
export const MISS_TTL_MS = 5000;

/** A MeteorID resolved through the DHT. */
export interface Resolution {
  /** The verified peer (its PeerId, addresses and document). */
  peer: PeerIdentity;
  /** The document's sequence number. */
  sequence: number;
  /** Its expiry, Unix ms. */
  expiresAt: number;
  /** Hops to the peer that answered (0: this node held it). */
  hops: number;
  /** GET_VALUE requests sent. */
  queries: number;
  /** How long the lookup took, in ms. */
  ms: number;
}

/** What a {@link DhtResolver} uses. */
export interface DhtResolverComponents {
  /** Meteor's DHT. */
  dht: MeteorDht;
  /** This node's PeerId (a record it holds itself is 0 hops). */
  self: string;
  /** Verifies a document (the identity directory's verifier). */
  verify(document: Uint8Array): Promise<PeerIdentity>;
  /** The bound on one lookup, in ms. */
  timeoutMs: number;
  /** The plugin's counters (lookups, found, missed). */
  counts: Record<string, number>;
}

/** Resolves MeteorIDs through Meteor's DHT. */
export class DhtResolver {
  readonly #c: DhtResolverComponents;
  readonly #running = new Map<string, Promise<Found | Missed>>();
  readonly #missed = new Map<string, number>();

  /** A resolver with nothing in flight. */
  constructor(components: DhtResolverComponents) {
    this.#c = components;
  }

  /**
   * The verified document of `meteorId` and what finding it took.
   *
   * @throws {MeteorError} E_NOT_FOUND when the DHT has no valid record of it
   * within the bound (or `signal` fires first)
   */
  async resolve(meteorId: Uint8Array, signal?: AbortSignal): Promise<Resolution> {
    const result = await this.#lookup(meteorId, signal);
    if (result.document === null) {
      throw new MeteorError(
        "E_NOT_FOUND",
        `Cannot resolve ${formatMeteorId(meteorId)}: no valid record in the DHT after ` +
          `${Math.round(result.ms)} ms and ${result.queries} queries`,
      );
    }
    const peer = await this.#c.verify(result.document);
    const { sequence, expiresAt } = parseDocument(result.document);
    return { peer, sequence, expiresAt, hops: result.hops, queries: result.queries, ms: result.ms };
  }

  /** The identity directory's resolver ("dht"): the document, or null on a miss. */
  directoryResolver(): IdentityResolver {
    return {
      name: "dht",
      resolve: async (meteorId, { signal }) => {
        const hex = toHex(meteorId);
        const missedAt = this.#missed.get(hex);
        if (missedAt !== undefined && Date.now() - missedAt < MISS_TTL_MS) return null;
        const result = await this.#lookup(meteorId, signal);
        const now = Date.now();
        for (const [known, at] of this.#missed) {
          if (now - at >= MISS_TTL_MS) this.#missed.delete(known);
        }
        if (result.document === null) this.#missed.set(hex, now);
        return result.document;
      },
    };
  }

  /** The shared lookup of `meteorId`; a caller whose `signal` fires first gets a miss. */
  #lookup(meteorId: Uint8Array, signal?: AbortSignal): Promise<Found | Missed> {
    const hex = toHex(meteorId);
    let run = this.#running.get(hex);
    if (!run) {
      const { dht, self, timeoutMs, counts } = this.#c;
      const started = performance.now();
      run = lookup(dht, fromHex(hex), AbortSignal.timeout(timeoutMs), self)
        .then((result) => {
          counts.lookups++;
          if (result.document === null) counts.lookupsMissed++;
          return result;
        })
        .finally(() => this.#running.delete(hex));
      this.#running.set(hex, run);
      if (signal) run = raceMiss(run, signal, started);
    } else if (signal) {
      run = raceMiss(run, signal, performance.now());
    }
    return run;
  }
}

/** `run`, or a miss as soon as `signal` fires. */
function raceMiss(
  run: Promise<Found | Missed>,
  signal: AbortSignal,
  started: number,
): Promise<Found | Missed> {
  if (signal.aborted) return Promise.resolve({ document: null, queries: 0, ms: 0 });
  return new Promise((resolve, reject) => {
    const miss = () => resolve({ document: null, queries: 0, ms: performance.now() - started });
    signal.addEventListener("abort", miss, { once: true });
    run.then(resolve, reject).finally(() => signal.removeEventListener("abort", miss));
  });
}
