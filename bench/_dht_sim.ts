/**
 * A simulated Meteor DHT in one process, for bench/dht.ts: N bare libp2p
 * hosts running the dht plugin's own kad-dht service (plugins/dht/service.ts:
 * the same protocol, validator, selector and options) and its lookup, each
 * publishing a signed identity document. The hosts talk over libp2p's
 * in-process memory transport (`@libp2p/memory`) by default, or TCP on
 * 127.0.0.1; connections are secured with Noise (as on the network).
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { memory } from "@libp2p/memory";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";
import { createDocument, deriveKeys, encodeDocument } from "../core/identity/mod.ts";
import { libp2pPrivateKey } from "../core/identity/_libp2p_key.ts";
import { DEFAULT_DHT_CONFIG } from "../plugins/dht/config.ts";
import { lookup } from "../plugins/dht/lookup.ts";
import { reachedEnough } from "../plugins/dht/publisher.ts";
import { recordKey } from "../plugins/dht/record.ts";
import { DHT_SERVICE, dhtServices, type MeteorDht } from "../plugins/dht/service.ts";

/** The transports a simulation can run over. */
export type SimTransport = "memory" | "tcp";

/** One resolve: found or not, hops, latency. */
export interface Sample {
  /** A valid record came back. */
  found: boolean;
  /** docs/dht.md §5 hops (0 on a miss). */
  hops: number;
  /** GET_VALUE requests sent. */
  queries: number;
  /** How long the lookup took, in ms. */
  ms: number;
}

/** A simulated node: a bare host with the dht plugin's service. */
export interface SimNode {
  /** The host. */
  libp2p: Libp2p;
  /** Its Meteor DHT service. */
  dht: MeteorDht;
  /** Its MeteorID. */
  meteorId: Uint8Array;
  /** Its encoded, signed identity document. */
  document: Uint8Array;
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/**
 * Each simulated node stands for a machine of its own: libp2p's limits on
 * inbound connections per remote IP (5 a second) and on handshakes in
 * progress (10) would otherwise count the whole simulated network, which
 * shares 127.0.0.1 and one overloaded process, as one abusive host.
 */
const SIM_CONNECTION_LIMITS = {
  inboundConnectionThreshold: 1000,
  maxIncomingPendingConnections: 100,
};

/**
 * Publications and lookups under way at once. Every simulated node shares
 * this process's one event loop: many more at once and the loop's latency
 * alone passes kad-dht's 5 s per-request timeout, which on a real network
 * (a machine per node) measures the peer, not the simulation.
 */
const PUBLISH_CONCURRENCY = 4;
const LOOKUP_CONCURRENCY = 4;
/** The most puts one node's publication takes here (the plugin retries with backoff, unbounded). */
const MAX_TRIES = 3;

/** The deterministic identity seed of simulated node `i`. */
function seedOf(i: number): Uint8Array {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, i + 1);
  return seed;
}

/** Starts simulated node `i`, listening on `transport`. */
async function startNode(i: number, transport: SimTransport): Promise<SimNode> {
  const keys = await deriveKeys(seedOf(i));
  const libp2p = await createLibp2p({
    privateKey: await libp2pPrivateKey(keys.seeds.ed25519),
    addresses: {
      listen: [transport === "memory" ? `/memory/meteor-sim-${i}` : "/ip4/127.0.0.1/tcp/0"],
    },
    transports: [transport === "memory" ? memory() : tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: SIM_CONNECTION_LIMITS,
    services: {
      identify: identify(),
      ping: ping(),
      ...dhtServices({ ...DEFAULT_DHT_CONFIG }, () => {}),
    },
  });
  const dht = (libp2p.services as Record<string, unknown>)[DHT_SERVICE] as MeteorDht;
  const document = encodeDocument(
    await createDocument(keys, { addresses: libp2p.getMultiaddrs().map(String) }),
  );
  return { libp2p, dht, meteorId: keys.meteorId, document };
}

/** A simulated network, started and published. */
export interface SimNetwork {
  /** Its nodes. */
  nodes: SimNode[];
  /** Peers accepting each node's (last) publication. */
  accepted: number[];
  /** Puts each node's publication took. */
  tries: number[];
  /** Seconds to start the nodes, connect them and publish every record. */
  setupS: number;
}

/**
 * Starts `count` nodes, node i dialling one random earlier node, waits
 * `settleMs` for the self-queries to fill the routing tables, then has every
 * node publish its record ({@link PUBLISH_CONCURRENCY} at a time, each bounded by the plugin's
 * publication bound).
 */
export async function startNetwork(
  count: number,
  transport: SimTransport,
  settleMs: number,
  progress: (line: string) => void,
): Promise<SimNetwork> {
  const started = performance.now();
  const nodes: SimNode[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const node = await startNode(i, transport);
      if (i > 0) {
        const peer = nodes[Math.floor(Math.random() * i)];
        await node.libp2p.dial(peer.libp2p.getMultiaddrs()[0], {
          signal: AbortSignal.timeout(10_000),
        }).catch(() => {});
      }
      nodes.push(node);
      if ((i + 1) % 100 === 0) progress(`started ${i + 1}/${count} nodes`);
    }
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const accepted = new Array<number>(count).fill(0);
    const tries = new Array<number>(count).fill(0);
    await pool(nodes, PUBLISH_CONCURRENCY, async (node, i) => {
      // The plugin's rule (plugins/dht/publisher.ts): a put too few of the closest took is retried.
      do {
        tries[i]++;
        accepted[i] = await put(node);
      } while (!reachedEnough(accepted[i], node.dht.routingTable.size) && tries[i] < MAX_TRIES);
    });
    progress(`published ${count} records`);
    return { nodes, accepted, tries, setupS: (performance.now() - started) / 1000 };
  } catch (err) {
    await stopNetwork(nodes);
    throw err;
  }
}

/** Puts `node`'s record once, bounded as the plugin bounds it; resolves to the peers that took it. */
async function put(node: SimNode): Promise<number> {
  let accepted = 0;
  try {
    for await (
      const event of node.dht.put(recordKey(node.meteorId), node.document, {
        signal: AbortSignal.timeout(DEFAULT_DHT_CONFIG.publishTimeoutMs),
      })
    ) {
      if (event.name === "PEER_RESPONSE" && event.messageName === "PUT_VALUE") accepted++;
    }
  } catch {
    // A put that ran out of time keeps the peers that took it.
  }
  return accepted;
}
/** `lookups` resolutions of random nodes' MeteorIDs by random others, {@link LOOKUP_CONCURRENCY} at a time. */
export async function resolveRandom(nodes: SimNode[], lookups: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  await pool(Array.from({ length: lookups }), LOOKUP_CONCURRENCY, async () => {
    const from = nodes[Math.floor(Math.random() * nodes.length)];
    let to = from;
    while (to === from) to = nodes[Math.floor(Math.random() * nodes.length)];
    const result = await lookup(
      from.dht,
      to.meteorId,
      AbortSignal.timeout(DEFAULT_DHT_CONFIG.resolveTimeoutMs),
      from.libp2p.peerId.toString(),
    );
    samples.push({
      found: result.document !== null,
      hops: "hops" in result ? result.hops : 0,
      queries: result.queries,
      ms: result.ms,
    });
  });
  return samples;
}

/** Stops every node. */
export async function stopNetwork(nodes: SimNode[]): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.libp2p.stop()));
}
