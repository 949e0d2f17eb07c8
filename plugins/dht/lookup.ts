/**
 * Finding a MeteorID's record in Meteor's DHT (docs/dht.md §5): one kad-dht
 * GET_VALUE query for its key, bounded in time, counting the queries sent
 * and the hops to the peer whose record was chosen.
 *
 * @module
 */
import type { QueryEvent } from "@libp2p/kad-dht";
import type { MeteorDht } from "./service.ts";
import { recordKey } from "./record.ts";

/** A record found in the DHT. */
export interface Found {
  /** The identity document (it passed the record validator). */
  document: Uint8Array;
  /**
   * Hops to the peer that answered with the chosen record: 0 when this node
   * held it, 1 for a peer of its own routing table, n + 1 for a peer that a
   * peer n hops away named as closer.
   */
  hops: number;
  /** GET_VALUE requests sent. */
  queries: number;
  /** How long the lookup took, in ms. */
  ms: number;
}

/** What a lookup that found nothing still reports. */
export interface Missed {
  /** Always null. */
  document: null;
  /** GET_VALUE requests sent. */
  queries: number;
  /** How long the lookup took, in ms. */
  ms: number;
}

/**
 * Looks `meteorId` up in `dht` until the query ends or `signal` fires (a
 * timeout is a miss, not an error). With an empty routing table it misses
 * at once: this node has nobody to ask.
 */
export async function lookup(
  dht: MeteorDht,
  meteorId: Uint8Array,
  signal: AbortSignal,
  self: string,
): Promise<Found | Missed> {
  const started = performance.now();
  const depth = new Map<string, number>();
  let queries = 0;
  let found: { document: Uint8Array; hops: number } | null = null;
  const note = (event: QueryEvent) => {
    if (event.name === "SEND_QUERY" && event.messageName === "GET_VALUE") {
      queries++;
      const to = event.to.toString();
      if (!depth.has(to)) depth.set(to, 1);
    } else if (event.name === "PEER_RESPONSE") {
      const next = (depth.get(event.from.toString()) ?? 1) + 1;
      for (const peer of event.closer) {
        const id = peer.id.toString();
        if (!depth.has(id)) depth.set(id, next);
      }
    } else if (event.name === "VALUE") {
      const from = event.from.toString();
      found = { document: event.value, hops: from === self ? 0 : depth.get(from) ?? 1 };
    }
  };
  // kad-dht would hold the query until a peer joins the table: a node alone misses at once.
  if (dht.routingTable.size === 0) return { document: null, queries, ms: 0 };
  try {
    for await (const event of dht.get(recordKey(meteorId), { signal })) note(event);
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  const ms = performance.now() - started;
  const result = found as { document: Uint8Array; hops: number } | null;
  return result ? { ...result, queries, ms } : { document: null, queries, ms };
}
