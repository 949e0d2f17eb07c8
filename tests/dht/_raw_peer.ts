/**
 * A raw libp2p peer speaking Meteor's DHT protocol with validators that
 * accept anything, for adversarial tests: it can put any record and write
 * anything on a DHT stream.
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { type KadDHT, kadDHT, passthroughMapper } from "@libp2p/kad-dht";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { DEFAULT_DHT_CONFIG } from "../../plugins/dht/mod.ts";

/** A started raw peer. */
export type RawPeer = Libp2p<{ dht: KadDHT & { routingTable: { size: number } } }>;

/** Starts a raw peer on a free loopback port and dials `address`. */
export async function rawPeer(address: string): Promise<RawPeer> {
  const node = await createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: DEFAULT_DHT_CONFIG.protocol,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: { meteor: () => Promise.resolve(), foo: () => Promise.resolve() },
        selectors: { meteor: () => 0, foo: () => 0 },
      }),
    },
  });
  await node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) });
  return node as unknown as RawPeer;
}

/** Puts `value` under `key` from the raw peer; resolves once the put has run (errors ignored). */
export async function rawPut(peer: RawPeer, key: Uint8Array, value: Uint8Array): Promise<void> {
  try {
    for await (
      const _ of peer.services.dht.put(key, value, { signal: AbortSignal.timeout(10_000) })
    ) {
      // Drain the query.
    }
  } catch {
    // Refusals end the query; what the daemons counted is what the tests check.
  }
}
