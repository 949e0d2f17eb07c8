import assert from "node:assert/strict";
import { waitFor } from "../p2p/_daemon.ts";
import { dhtStats, startLine, stopAll } from "./_line.ts";

Deno.test({
  name: "dht: six daemons in a line; the first resolves and messages the last, never told of it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(6, 101);
    try {
      const [first] = daemons;
      const last = daemons[5];
      const fifth = daemons[4];
      await waitFor(
        "the last two published",
        () => dhtStats(last).published > 0 && dhtStats(fifth).published > 0,
        30_000,
      );
      // The first has no contact and no bootstrap address of the last (DHT queries may connect them).
      assert.deepEqual((await (await first.api("/v1/contacts")).json()).contacts, []);

      const res = await first.api(`/v1/resolve/${last.id}`);
      assert.equal(res.status, 200, await res.clone().text());
      const found = await res.json();
      assert.equal(found.meteorId, last.id);
      assert.equal(found.peerId, last.keys.peerId);
      assert.deepEqual(found.addresses, last.p2p.addresses());
      assert.ok(Number.isInteger(found.hops) && found.hops >= 0);
      assert.ok(found.queries >= 1);
      assert.match(found.document, /^meteor-doc:/);

      // `meteor send` to a bare MeteorID, and to a contact added by MeteorID alone.
      const sent = await first.api("/v1/messages", {
        method: "POST",
        json: { to: last.id, text: "hello from the far end" },
      });
      assert.equal(sent.status, 202, await sent.clone().text());
      const added = await first.api("/v1/contacts", {
        method: "POST",
        json: { name: "fifth", id: fifth.id },
      });
      assert.equal(added.status, 201, await added.clone().text());
      const named = await first.api("/v1/messages", {
        method: "POST",
        json: { to: "fifth", text: "hello by contact name" },
      });
      assert.equal(named.status, 202);
      for (
        const [daemon, text] of [[last, "hello from the far end"], [
          fifth,
          "hello by contact name",
        ]] as const
      ) {
        const message = await waitFor(`"${text}" delivered`, async () => {
          const inbox = await (await daemon.api("/v1/inbox")).json();
          return inbox.messages.find((m: { text: string }) => m.text === text);
        }, 30_000);
        assert.equal(message.from, first.id);
      }
      assert.ok(dhtStats(first).lookups >= 1);
    } finally {
      await stopAll(daemons, specs);
    }
  },
});

Deno.test({
  name: "dht: an unknown MeteorID is E_NOT_FOUND within the bound; a node alone answers at once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { daemons, specs } = await startLine(2, 111);
    const { daemons: alone, specs: aloneSpecs } = await startLine(1, 113);
    try {
      const nobody = "meteor1ccs5dcgvvw2q2m7xn4uswjphyklr08wnm5aae0wgut7uhw6nvdhqclg3a5";
      await waitFor("a routing table", () => dhtStats(daemons[1]).routingTable > 0);
      let started = performance.now();
      const res = await daemons[1].api(`/v1/resolve/${nobody}`);
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, "E_NOT_FOUND");
      assert.ok(performance.now() - started < 12_000);

      started = performance.now();
      const lonely = await alone[0].api(`/v1/resolve/${nobody}`);
      assert.equal(lonely.status, 404);
      assert.ok(performance.now() - started < 2_000);

      const bad = await daemons[1].api("/v1/resolve/meteor1nope");
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.code, "E_BAD_ID");
    } finally {
      await stopAll([...daemons, ...alone], [...specs, ...aloneSpecs]);
    }
  },
});
