import assert from "node:assert/strict";
import { createPublicApps } from "../../server.ts";
import { statusOf } from "../../server/_errors.ts";
import guestbook from "../../examples/guestbook/mod.ts";
import { GUESTBOOK_PROTOCOL } from "../../examples/guestbook/_service.ts";
import { daemonSpec, p2pNodeOf, startDaemon, type TestDaemon, waitFor } from "./_daemon.ts";

async function entries(d: TestDaemon): Promise<{ from: string; text: string }[]> {
  return (await (await d.api("/v1/guestbook/entries")).json()).entries;
}

Deno.test({
  name:
    "the guestbook example: a service, a typed record, token and public routes, its table, event and error code",
  fn: async () => {
    const sa = { ...await daemonSpec(41), plugins: () => [guestbook()] };
    const sb = { ...await daemonSpec(42), plugins: () => [guestbook()] };
    const a = await startDaemon(sa);
    const b = await startDaemon({
      ...sb,
      pluginConfig: { guestbook: { listen: "127.0.0.1:0", capacity: 1 } },
    });
    try {
      const signed: unknown[] = [];
      b.node.events.on("guestbook:signed", (detail) => signed.push(detail));
      const doc = (await (await b.api("/v1/id")).json()).document;
      assert.equal(
        (await a.api("/v1/contacts", { method: "POST", json: { name: "bob", id: doc } })).status,
        201,
      );
      const res = await a.api("/v1/guestbook/sign", {
        method: "POST",
        json: { to: "bob", text: "hello from alice" },
      });
      assert.equal(res.status, 202, await res.clone().text());
      await waitFor("the entry", async () => (await entries(b)).length === 1);
      assert.deepEqual(
        (await entries(b)).map(({ from, text }) => ({ from, text })),
        [{ from: a.id, text: "hello from alice" }],
      );
      assert.deepEqual(signed, [{ from: a.id, text: "hello from alice" }]);
      // The public route, on its own app: no token needed; the local API does not serve it.
      const [pub] = createPublicApps(b.node);
      const count = await pub.app.request(`http://${pub.hostname}:${pub.port}/v1/guestbook/count`);
      assert.deepEqual(await count.json(), { entries: 1 });
      assert.equal((await b.api("/v1/guestbook/count")).status, 404);
      // The contributed service answers its protocol on the one host.
      await a.p2p.dial(b.p2p.addresses()[0]);
      const stream = await a.p2p.libp2p.getConnections(
        b.p2p.libp2p.peerId,
      )[0].newStream(GUESTBOOK_PROTOCOL);
      const first = await stream[Symbol.asyncIterator]().next();
      assert.equal(new TextDecoder().decode(first.value.subarray()), "1\n");
      stream.abort(new Error("done"));
      // The book is full (capacity 1): the next record is refused on arrival and counted.
      assert.equal(statusOf("E_GUESTBOOK_FULL"), 409);
      await a.api("/v1/guestbook/sign", { method: "POST", json: { to: "bob", text: "again" } });
      await waitFor("the refusal", () => p2pNodeOf(b).stats().recordHandlerFailures === 1);
      assert.equal((await entries(b)).length, 1);
      // Malformed input to the token route.
      const bad = await a.api("/v1/guestbook/sign", {
        method: "POST",
        json: { to: "bob", text: "" },
      });
      assert.equal(bad.status, 400);
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(sa.home, { recursive: true });
      await Deno.remove(sb.home, { recursive: true });
    }
  },
});
