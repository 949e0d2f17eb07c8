/**
 * lookup() against a scripted kad-dht: what it does with the events of a
 * GET_VALUE query (docs/dht.md §5), without a network.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { QueryEvent } from "@libp2p/kad-dht";
import { peerIdFromString } from "@libp2p/peer-id";
import { createDocument, deriveKeys, encodeDocument } from "../../core/identity/mod.ts";
import { lookup, RECORD_QUORUM } from "../../plugins/dht/lookup.ts";
import { recordKey, selectRecord } from "../../plugins/dht/record.ts";
import type { MeteorDht } from "../../plugins/dht/service.ts";

const target = await deriveKeys(new Uint8Array(32).fill(9));
const peers = await Promise.all(
  [11, 12, 13, 14, 15].map(async (s) =>
    peerIdFromString((await deriveKeys(new Uint8Array(32).fill(s))).peerId)
  ),
);
/** This node: the last of `peers`, never queried. */
const SELF = peers[4].toString();
const doc = async (sequence: number) =>
  encodeDocument(await createDocument(target, { sequence, addresses: [] }));
const path = { index: 0, queued: 0, running: 0, total: 0 };

/** kad-dht's GET_VALUE request to `i`. */
const sent = (i: number) =>
  ({ name: "SEND_QUERY", messageName: "GET_VALUE", to: peers[i], path }) as unknown as QueryEvent;
/** Peer `i`'s answer: closer peers and maybe a record. */
const answer = (i: number, closer: number[], value?: Uint8Array) =>
  ({
    name: "PEER_RESPONSE",
    messageName: "GET_VALUE",
    from: peers[i],
    closer: closer.map((c) => ({ id: peers[c], multiaddrs: [] })),
    providers: [],
    record: value && { key: recordKey(target.meteorId), value, timeReceived: new Date() },
    path,
  }) as unknown as QueryEvent;

/** A MeteorDht whose get() plays `script` (each step an event, or a function run in its place). */
function scripted(
  script: (QueryEvent | ((signal: AbortSignal) => Promise<void>))[],
): MeteorDht & { closed: boolean } {
  const dht = {
    closed: false,
    routingTable: { size: 1 },
    async *get(_key: Uint8Array, options: { signal: AbortSignal }) {
      try {
        for (const step of script) {
          if (typeof step === "function") await step(options.signal);
          else yield step;
        }
      } finally {
        dht.closed = true;
      }
    },
  };
  return dht as unknown as MeteorDht & { closed: boolean };
}

const run = (dht: MeteorDht, signal = AbortSignal.timeout(5000)) =>
  lookup(dht, target.meteorId, signal, SELF);

Deno.test("lookup(): ends at the quorum of valid records, picks the highest sequence, counts hops", async () => {
  assert.equal(RECORD_QUORUM, 3);
  const [one, three, two] = [await doc(1), await doc(3), await doc(2)];
  const dht = scripted([
    sent(0),
    answer(0, [1, 2]),
    sent(1),
    sent(2),
    answer(1, [3], one),
    sent(3),
    answer(3, [], three),
    answer(2, [], two),
    () => Promise.reject(new Error("the walk went on after the quorum")),
  ]);
  const found = await run(dht);
  assert.ok(found.document);
  assert.deepEqual(found.document, three);
  assert.equal(found.queries, 4);
  assert.equal("hops" in found && found.hops, 3, "peer 3 was named by peer 1, named by peer 0");
  assert.ok(dht.closed, "the query was closed once the quorum was in hand");
});

Deno.test("lookup(): a record in hand survives kad-dht failing after the walk (a correction)", async () => {
  const one = await doc(1);
  const dht = scripted([
    sent(0),
    answer(0, [], one),
    () => Promise.reject(new Error("Could not send correction")),
  ]);
  const found = await run(dht);
  assert.deepEqual(found.document, one);
  assert.equal("hops" in found && found.hops, 1);
});

Deno.test("lookup(): a bound that fires with a record in hand returns it, not a miss", async () => {
  const one = await doc(1);
  const dht = scripted([
    sent(0),
    answer(0, [], one),
    (signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
  ]);
  const found = await run(dht, AbortSignal.timeout(200));
  assert.deepEqual(found.document, one);
});

Deno.test("lookup(): a bound that fires with nothing in hand is a miss; other errors are thrown", async () => {
  const waitForAbort = (signal: AbortSignal) =>
    new Promise<void>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const missed = await run(scripted([sent(0), waitForAbort]), AbortSignal.timeout(200));
  assert.equal(missed.document, null);
  assert.equal(missed.queries, 1);
  await assert.rejects(run(scripted([() => Promise.reject(new Error("boom"))])), /boom/);
});

Deno.test("lookup(): when the query runs to its end, kad-dht's choice stands (0 hops when held here)", async () => {
  const [held, older] = [await doc(5), await doc(4)];
  const dht = scripted([
    sent(0),
    answer(0, [], older),
    { name: "VALUE", from: peers[4], value: held, path } as QueryEvent,
  ]);
  const found = await run(dht);
  assert.deepEqual(found.document, held);
  assert.equal("hops" in found && found.hops, 0);
  assert.equal(selectRecord(recordKey(target.meteorId), [older, held]), 1);
});

Deno.test("lookup(): an empty routing table misses at once, without a query", async () => {
  const dht = scripted([() => Promise.reject(new Error("queried"))]);
  (dht as unknown as { routingTable: { size: number } }).routingTable.size = 0;
  const missed = await run(dht);
  assert.equal(missed.document, null);
  assert.equal(missed.ms, 0);
});
