import assert from "node:assert/strict";
import { startDaemon, waitFor } from "../p2p/_daemon.ts";
import { dhtStats, startLine, stopAll } from "./_line.ts";

Deno.test({
  name: "dht: a restarted node restores its routing table from the peer store, without bootstrap",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(3, 141);
    try {
      const [first] = daemons;
      await waitFor("the first published", () => dhtStats(first).published > 0, 30_000);
      await waitFor("the last knows both", () => dhtStats(daemons[2]).routingTable >= 2, 30_000);
      await daemons[2].stop();
      // The same home, with no bootstrap address at all.
      daemons[2] = await startDaemon({ ...specs[2], bootstrap: [] });
      await waitFor("the restored routing table", () => dhtStats(daemons[2]).routingTable >= 1);
      const res = await daemons[2].api(`/v1/resolve/${first.id}`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal((await res.json()).peerId, first.keys.peerId);
    } finally {
      await stopAll(daemons, specs);
    }
  },
});

Deno.test({
  name: "dht: without the peer store's kad peers a node with no bootstrap stays alone (control)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(1, 151);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(dhtStats(daemons[0]).routingTable, 0);
      assert.equal(dhtStats(daemons[0]).published, 0);
    } finally {
      await stopAll(daemons, specs);
    }
  },
});
