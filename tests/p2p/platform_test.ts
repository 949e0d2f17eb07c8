import assert from "node:assert/strict";
import type { Libp2p, Stream } from "@libp2p/interface";

/** What the test service uses of the host's components. */
type Registrar = Pick<Libp2p, "handle" | "unhandle">;
import type { Plugin, PluginContext } from "../../core/plugin.ts";
import { libp2pServices, type P2PApi } from "../../plugins/p2p/mod.ts";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { daemonSpec, p2pNodeOf, startDaemon, type TestDaemon, waitFor } from "./_daemon.ts";

/** A libp2p service that answers its own protocol with a fixed greeting. */
function greeter(greeting: string) {
  return (components: { registrar: Registrar }) => ({
    protocol: "/meteor-test/greet/1.0.0",
    async start() {
      await components.registrar.handle(
        "/meteor-test/greet/1.0.0",
        (stream: Stream) => {
          stream.send(new TextEncoder().encode(greeting));
        },
      );
    },
    async stop() {
      await components.registrar.unhandle("/meteor-test/greet/1.0.0");
    },
    greeting,
  });
}

/**
 * A plugin on the kit: it adds a libp2p service to the host, handles the
 * record type "greet/hello" and answers each one with "greet/reply".
 */
function greetPlugin(received: { from: Uint8Array; text: string }[]): Plugin {
  return {
    name: "greet",
    version: "1.0.0",
    needs: ["p2p"],
    configSchema: { validate: () => undefined },
    extend: () => ({ libp2p: libp2pServices({ greeter: greeter("hi from greet") }) }),
    start(context: PluginContext) {
      const p2p = context.plugins.p2p as P2PApi;
      const stop = [
        p2p.records.handle("greet/hello", async ({ from, payload }) => {
          received.push({ from, text: new TextDecoder().decode(payload) });
          await p2p.records.send(from, "greet/reply", payload);
        }),
        p2p.records.handle("greet/reply", ({ from, payload }) => {
          received.push({ from, text: `reply: ${new TextDecoder().decode(payload)}` });
        }),
      ];
      return Promise.resolve({
        api: { p2p },
        stop: () => Promise.resolve(stop.forEach((remove) => remove())),
      });
    },
  };
}

const apiOf = (d: TestDaemon) => (d.node.registry.get("greet")!.api as { p2p: P2PApi<Libp2p> }).p2p;

Deno.test({
  name: "a plugin's libp2p service and typed records work end to end between two daemons",
  fn: async () => {
    const gotA: { from: Uint8Array; text: string }[] = [];
    const gotB: { from: Uint8Array; text: string }[] = [];
    const sa = { ...await daemonSpec(31), plugins: () => [greetPlugin(gotA)] };
    const sb = { ...await daemonSpec(32), plugins: () => [greetPlugin(gotB)] };
    const a = await startDaemon(sa);
    const b = await startDaemon(sb);
    try {
      const greetA = apiOf(a);
      // Only the service it contributed comes back, not the host's own (identify, ping).
      assert.deepEqual(Object.keys(greetA.services), ["greeter"]);
      assert.equal((greetA.services.greeter as { greeting: string }).greeting, "hi from greet");
      // The service answers its protocol on the one host, next to Meteor's.
      await a.p2p.dial(b.p2p.addresses()[0]);
      const conn = a.p2p.libp2p.getConnections()[0];
      const stream = await conn.newStream("/meteor-test/greet/1.0.0");
      const first = await stream[Symbol.asyncIterator]().next();
      assert.equal(new TextDecoder().decode(first.value.subarray()), "hi from greet");
      stream.abort(new Error("done"));
      // The host is shared: a consumer's stop() leaves it running.
      await greetA.libp2p.stop();
      assert.equal(a.p2p.libp2p.status, "started");
      // A typed record to B, answered over the same session.
      await addDocument(a, b);
      await greetA.records.send(b.keys.meteorId, "greet/hello", new TextEncoder().encode("hello"));
      await waitFor("the reply", () => gotA.length === 1);
      assert.deepEqual(gotB.map((r) => r.text), ["hello"]);
      assert.deepEqual(gotB[0].from, a.keys.meteorId);
      assert.deepEqual(gotA.map((r) => r.text), ["reply: hello"]);
      assert.deepEqual(gotA[0].from, b.keys.meteorId);
      // A plugin may use its own record types only.
      await assert.rejects(
        greetA.records.send(b.keys.meteorId, "p2p/message", new Uint8Array(1)),
        (err) => (err as { code?: string }).code === "E_PLUGIN",
      );
      assert.throws(() => greetA.records.handle("other/x", () => {}), /may use "greet\//);
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(sa.home, { recursive: true });
      await Deno.remove(sb.home, { recursive: true });
    }
  },
});

/** Gives `from` the identity document of `to` as a contact, so it can open a session. */
async function addDocument(from: TestDaemon, to: TestDaemon): Promise<void> {
  const doc = (await (await to.api("/v1/id")).json()).document;
  const res = await from.api("/v1/contacts", { method: "POST", json: { name: "peer", id: doc } });
  assert.equal(res.status, 201);
}

Deno.test("p2p asks a peer for its identity document only when identify lists /meteor/id", async () => {
  const spec = await daemonSpec(33);
  const other = await daemonSpec(34);
  const alice = await startDaemon(spec);
  const bob = await startDaemon(other);
  const plain = await createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
  const lookups = () => p2pNodeOf(alice).stats().lookups;
  try {
    // A plain libp2p peer (an IPFS node, say): identified, never asked.
    await plain.dial(multiaddr(alice.p2p.addresses()[0]));
    await waitFor("identify of the plain peer", async () => {
      const peer = await alice.p2p.libp2p.peerStore.get(plain.peerId).catch(() => undefined);
      return (peer?.protocols.length ?? 0) > 0;
    });
    assert.equal(lookups(), 0);
    // A Meteor peer lists the lookup protocol: asked once identified.
    await bob.p2p.dial(alice.p2p.addresses()[0]);
    await waitFor("the lookup of the Meteor peer", () => lookups() === 1);
  } finally {
    await plain.stop();
    await alice.stop();
    await bob.stop();
    await Deno.remove(spec.home, { recursive: true });
    await Deno.remove(other.home, { recursive: true });
  }
});

Deno.test("the host's peer store survives a restart (the datastore is in the p2p database)", async () => {
  const spec = await daemonSpec(35);
  const other = await daemonSpec(36);
  let alice = await startDaemon(spec);
  const bob = await startDaemon(other);
  try {
    await alice.p2p.dial(bob.p2p.addresses()[0]);
    const bobId = bob.p2p.libp2p.peerId;
    await waitFor("bob in the peer store", async () => {
      const peer = await alice.p2p.libp2p.peerStore.get(bobId).catch(() => undefined);
      return (peer?.addresses.length ?? 0) > 0;
    });
    await alice.stop();
    alice = await startDaemon(spec);
    const peer = await alice.p2p.libp2p.peerStore.get(bobId);
    assert.ok(
      peer.addresses.some((a) => bob.p2p.addresses()[0].startsWith(a.multiaddr.toString())),
      "bob's address is still known",
    );
  } finally {
    await alice.stop();
    await bob.stop();
    await Deno.remove(spec.home, { recursive: true });
    await Deno.remove(other.home, { recursive: true });
  }
});
