import assert from "node:assert/strict";
import { concat } from "../../core/bytes.ts";
import {
  createDocument,
  deriveKeys,
  encodeDocument,
  formatMeteorId,
  parseDocument,
} from "../../core/identity/mod.ts";
import { recordKey } from "../../plugins/dht/mod.ts";
import { waitFor } from "../p2p/_daemon.ts";
import { bootstrapAddress, dhtStats, startLine, stopAll } from "./_line.ts";
import { rawPeer, rawPut } from "./_raw_peer.ts";

/** The sum over `daemons` of the dht stat `name`. */
function total(daemons: Parameters<typeof dhtStats>[0][], name: string): number {
  return daemons.reduce((sum, d) => sum + (dhtStats(d)[name] ?? 0), 0);
}

Deno.test({
  name: "dht: forged, stale, garbage and oversized records from a raw peer are refused and counted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(3, 121);
    const [first, middle, last] = daemons;
    const raw = await rawPeer(bootstrapAddress(middle));
    try {
      await waitFor("the last published", () => dhtStats(last).published > 0, 30_000);
      await waitFor("the raw peer's routing table", () => raw.services.dht.routingTable.size > 0);
      const good = await (await first.api(`/v1/resolve/${last.id}`)).json();
      assert.equal(good.peerId, last.keys.peerId);

      const key = recordKey(last.keys.meteorId);
      const now = Date.now();
      const genuine = encodeDocument(
        await createDocument(last.keys, {
          addresses: ["/ip4/127.0.0.1/tcp/9"],
          sequence: now + 1e6,
        }),
      );
      const badSignature = genuine.slice();
      badSignature[badSignature.length - 100] ^= 1;
      const other = await deriveKeys(new Uint8Array(32).fill(199));
      const anotherId = encodeDocument(await createDocument(other, { sequence: now + 1e6 }));
      const stale = encodeDocument(await createDocument(last.keys, { sequence: 1 }));
      const expired = encodeDocument(
        await createDocument(last.keys, {
          issuedAt: now - 2 * 86_400_000,
          expiresAt: now - 86_400_000,
          sequence: now + 1e6,
        }),
      );
      const unsigned = genuine.subarray(0, genuine.length - 3373);
      const cases: [string, Uint8Array, Uint8Array][] = [
        ["E_BAD_SIGNATURE", key, badSignature],
        ["E_ID_MISMATCH", key, anotherId],
        ["E_REPLAY", key, stale],
        ["E_EXPIRED", key, expired],
        ["E_MALFORMED", key, unsigned],
        ["E_MALFORMED", key, crypto.getRandomValues(new Uint8Array(600))],
        ["E_TOO_LARGE", key, concat(genuine, new Uint8Array(20_000))],
        ["E_MALFORMED", new TextEncoder().encode("/meteor/id/short"), genuine],
      ];
      for (const [code, k, value] of cases) {
        const before = total(daemons, `rejected.${code}`);
        await rawPut(raw, k, value);
        await waitFor(`a ${code} refusal`, () => total(daemons, `rejected.${code}`) > before);
      }

      // Raw bytes on a DHT stream: not a message at all.
      const stream = await raw.dialProtocol(middle.p2p.libp2p.peerId, "/meteor/kad/1.0.0");
      stream.send(crypto.getRandomValues(new Uint8Array(4096)));
      await stream.close().catch(() => {});

      // The node is up, and every daemon still resolves the genuine record.
      assert.equal((await middle.api("/v1/health")).status, 200);
      for (const daemon of [first, middle]) {
        const res = await daemon.api(`/v1/resolve/${last.id}`);
        assert.equal(res.status, 200);
        const found = await res.json();
        assert.equal(found.peerId, last.keys.peerId);
        // The genuine record, or a newer one `last` republished since (a publication too few
        // peers took is retried); never one the raw peer put (each carries sequence now + 1e6).
        assert.ok(
          found.sequence >= good.sequence && found.sequence < now + 1e6,
          String(found.sequence),
        );
        assert.deepEqual(found.addresses, last.p2p.addresses());
      }
    } finally {
      await raw.stop();
      await stopAll(daemons, specs);
    }
  },
});

Deno.test({
  name: "dht: the identity directory resolves through the DHT a MeteorID nobody else knows",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(2, 131);
    const raw = await rawPeer(bootstrapAddress(daemons[1]));
    try {
      await waitFor("the raw peer's routing table", () => raw.services.dht.routingTable.size > 0);
      await waitFor("a routing table", () => dhtStats(daemons[0]).routingTable > 0);
      // A node that never ran: only the DHT has its document.
      const ghost = await deriveKeys(new Uint8Array(32).fill(201));
      const document = encodeDocument(
        await createDocument(ghost, { addresses: ["/ip4/127.0.0.1/tcp/9"] }),
      );
      await rawPut(raw, recordKey(ghost.meteorId), document);
      const found = await daemons[0].p2p.directory.resolve(ghost.meteorId);
      assert.equal(found.via, "dht");
      assert.equal(found.peer.peerId, ghost.peerId);
      assert.equal(parseDocument(found.peer.document).sequence, parseDocument(document).sequence);
      assert.equal(formatMeteorId(found.peer.meteorId), formatMeteorId(ghost.meteorId));
    } finally {
      await raw.stop();
      await stopAll(daemons, specs);
    }
  },
});
