/**
 * Finding a MeteorID's record in Meteor's DHT (docs/dht.md §5): one kad-dht
 * GET_VALUE query for its key, bounded in time, ended early once a quorum
 * of peers has answered with a valid record, counting the queries sent and
 * the hops to the peer whose record was chosen.
 *
 * @module
 */
import type { QueryEvent } from "@libp2p/kad-dht";
import type { MeteorDht } from "./service.ts";
import { recordKey, selectRecord } from "./record.ts";

/**
 * How many peers answering with a valid record end a lookup (docs/dht.md
 * §5): kad-dht would otherwise walk every path to its end before returning
 * anything, and a bound that fires first loses the records already in hand.
 */
export const RECORD_QUORUM = 3;

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

/** A valid record and the hops to the peer that sent it. */
interface Heard {
  document: Uint8Array;
  hops: number;
}

/**
 * Looks `meteorId` up in `dht` until `quorum` peers have answered with a
 * valid record, the query ends or `signal` fires; then the selector picks
 * among the records in hand (a timeout with none is a miss, not an error).
 * kad-dht's own choice, made when the query runs to its end, includes this
 * node's stored record. With an empty routing table it misses at once: this
 * node has nobody to ask.
 */
export async function lookup(
  dht: MeteorDht,
  meteorId: Uint8Array,
  signal: AbortSignal,
  self: string,
  quorum: number = RECORD_QUORUM,
): Promise<Found | Missed> {
  const started = performance.now();
  const key = recordKey(meteorId);
  const depth = new Map<string, number>();
  const heard: Heard[] = [];
  let queries = 0;
  let chosen: Heard | null = null;
  const note = (event: QueryEvent) => {
    if (event.name === "SEND_QUERY" && event.messageName === "GET_VALUE") {
      queries++;
      const to = event.to.toString();
      if (!depth.has(to)) depth.set(to, 1);
    } else if (event.name === "PEER_RESPONSE") {
      const hops = depth.get(event.from.toString()) ?? 1;
      for (const peer of event.closer) {
        const id = peer.id.toString();
        if (!depth.has(id)) depth.set(id, hops + 1);
      }
      // kad-dht passes on only the answers whose record its validator accepted.
      if (event.messageName === "GET_VALUE" && event.record) {
        heard.push({ document: event.record.value, hops });
      }
    } else if (event.name === "VALUE") {
      const from = event.from.toString();
      chosen = { document: event.value, hops: from === self ? 0 : depth.get(from) ?? 1 };
    }
  };
  // kad-dht would hold the query until a peer joins the table: a node alone misses at once.
  if (dht.routingTable.size === 0) return { document: null, queries, ms: 0 };
  try {
    for await (const event of dht.get(key, { signal })) {
      note(event);
      if (heard.length >= quorum) break;
    }
  } catch (err) {
    // The bound fired, or kad-dht failed after the walk (a correction no peer took).
    if (!signal.aborted && heard.length === 0) throw err;
  }
  const ms = performance.now() - started;
  const result = (chosen as Heard | null) ??
    (heard.length > 0 ? heard[selectRecord(key, heard.map((h) => h.document))] : null);
  return result ? { ...result, queries, ms } : { document: null, queries, ms };
}
