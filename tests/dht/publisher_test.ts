/**
 * The Publisher against a scripted kad-dht put (docs/dht.md §4): when a
 * publication counts as done and when it is retried.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { QueryEvent } from "@libp2p/kad-dht";
import type { Libp2p } from "libp2p";
import { createDocument, deriveKeys } from "../../core/identity/mod.ts";
import { FIRST_RETRY_MS, K, Publisher, reachedEnough } from "../../plugins/dht/publisher.ts";
import type { MeteorDht } from "../../plugins/dht/service.ts";

const keys = await deriveKeys(new Uint8Array(32).fill(21));

Deno.test("reachedEnough(): half of k, or of a smaller routing table, and never none", () => {
  assert.equal(K, 20);
  assert.equal(reachedEnough(10, 200), true);
  assert.equal(reachedEnough(9, 200), false);
  assert.equal(reachedEnough(2, 3), true);
  assert.equal(reachedEnough(1, 3), false);
  assert.equal(reachedEnough(1, 1), true);
  assert.equal(reachedEnough(0, 0), false);
});

/** A publisher whose puts are each accepted by `accepted` of a routing table of `table`. */
function publisherFor(accepted: number, table: number) {
  const puts: number[] = [];
  const counts: Record<string, number> = {
    published: 0,
    publishFailures: 0,
    publishShort: 0,
    lastPublishPeers: 0,
  };
  const dht = {
    routingTable: { size: table },
    async *put() {
      puts.push(performance.now());
      for (let i = 0; i < accepted; i++) {
        yield { name: "PEER_RESPONSE", messageName: "PUT_VALUE" } as unknown as QueryEvent;
      }
    },
  } as unknown as MeteorDht;
  const libp2p = { addEventListener: () => {}, getMultiaddrs: () => [] } as unknown as Libp2p;
  const publisher = new Publisher({
    dht,
    libp2p,
    documents: { sign: (fields) => createDocument(keys, fields) },
    meteorId: keys.meteorId,
    config: { republishMs: 3_600_000, publishTimeoutMs: 5000 },
    counts,
    debug: () => {},
  });
  return { publisher, puts, counts };
}

Deno.test("Publisher: a put too few of the closest accepted is retried; an ample one is not", async () => {
  const short = publisherFor(3, 50);
  const ample = publisherFor(12, 50);
  try {
    short.publisher.start();
    ample.publisher.start();
    await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS + 1000));
    assert.equal(short.puts.length, 2, "retried after FIRST_RETRY_MS");
    assert.equal(short.counts.published, 2);
    assert.equal(short.counts.publishShort, 2);
    assert.equal(short.counts.lastPublishPeers, 3);
    assert.equal(ample.puts.length, 1, "next only after republishMs");
    assert.equal(ample.counts.published, 1);
    assert.equal(ample.counts.publishShort, 0);
  } finally {
    short.publisher.stop();
    ample.publisher.stop();
  }
});
