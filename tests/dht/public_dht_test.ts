/**
 * The `publicDht` switch: a node also runs a client of the public IPFS DHT
 * (`/ipfs/kad/1.0.0`), beside Meteor's own. No public network is reached:
 * a local kad-dht server on 127.0.0.1 stands in for the public DHT. It
 * announces only a `/memory/` address, which kad-dht's public-address filter
 * keeps (it is not a private IP) and which no daemon can dial, so every
 * request travels over the connection the stand-in opened.
 *
 * @module
 */
import assert from "node:assert/strict";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { type KadDHT, kadDHT, passthroughMapper, type QueryEvent } from "@libp2p/kad-dht";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { MemoryDatastore } from "datastore-core";
import { createLibp2p, type Libp2p } from "libp2p";
import { DEFAULT_DHT_CONFIG } from "../../plugins/dht/config.ts";
import { PUBLIC_DHT_SERVICE } from "../../plugins/dht/service.ts";
import { type TestDaemon, waitFor } from "../p2p/_daemon.ts";
import { bootstrapAddress, dhtStats, startLine, stopAll, TEST_DHT_CONFIG } from "./_line.ts";

const PUBLIC_PROTOCOL = "/ipfs/kad/1.0.0";

type PublicDht = KadDHT & { routingTable: { size: number } };

/** The public-DHT client of `daemon`. */
function publicDhtOf(daemon: TestDaemon): PublicDht | undefined {
  return (daemon.p2p.libp2p.services as Record<string, unknown>)[PUBLIC_DHT_SERVICE] as
    | PublicDht
    | undefined;
}

/** A kad-dht server under the public protocol that stores any record it is sent. */
async function publicDhtStandIn(datastore: MemoryDatastore): Promise<Libp2p> {
  return await createLibp2p({
    datastore,
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"], announce: ["/memory/public-dht-stand-in"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: PUBLIC_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: { meteor: () => Promise.resolve() },
        selectors: { meteor: () => 0 },
      }),
    },
  });
}

Deno.test({
  name: "dht: with publicDht on, two nodes query a /ipfs/kad/1.0.0 server as clients and " +
    "keep Meteor records off it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(2, 181, {
      dht: { ...TEST_DHT_CONFIG, publicDht: true },
    });
    const datastore = new MemoryDatastore();
    const server = await publicDhtStandIn(datastore);
    try {
      for (const daemon of daemons) {
        await server.dial(multiaddr(bootstrapAddress(daemon)), {
          signal: AbortSignal.timeout(10_000),
        });
      }
      for (const daemon of daemons) {
        const client = publicDhtOf(daemon);
        assert.ok(client, "the ipfsDht service runs");
        await waitFor(
          "the public server in the client's table",
          () => client.routingTable.size > 0,
        );
        // Only the stand-in serves the public protocol: the two daemons are clients of it.
        assert.equal(client.routingTable.size, 1);
        const answers: QueryEvent[] = [];
        for await (
          const event of client.getClosestPeers(daemon.keys.meteorId, {
            signal: AbortSignal.timeout(10_000),
          })
        ) {
          if (event.name === "PEER_RESPONSE") answers.push(event);
        }
        assert.ok(
          answers.some((e) =>
            e.name === "PEER_RESPONSE" && e.messageName === "FIND_NODE" &&
            e.from.equals(server.peerId)
          ),
          "the server answered a FIND_NODE over /ipfs/kad/1.0.0",
        );
      }
      // Client mode: neither daemon answers the public protocol; Meteor's DHT it still serves.
      for (const daemon of daemons) {
        const peer = daemon.p2p.libp2p.peerId;
        await assert.rejects(server.dialProtocol(peer, PUBLIC_PROTOCOL));
        await (await server.dialProtocol(peer, DEFAULT_DHT_CONFIG.protocol)).close();
      }
      await waitFor(
        "both published in Meteor's DHT",
        () => daemons.every((d) => dhtStats(d).published > 0),
        30_000,
      );
      const held = [];
      for await (const entry of datastore.query({ prefix: "/dht/record" })) held.push(entry.key);
      assert.deepEqual(held, [], "no Meteor record was put on the public DHT");
    } finally {
      await server.stop();
      await stopAll(daemons, specs);
    }
  },
});

Deno.test({
  name: "dht: with publicDht off (the default) no public-DHT client runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(1, 191);
    try {
      assert.equal(publicDhtOf(daemons[0]), undefined);
    } finally {
      await stopAll(daemons, specs);
    }
  },
});
