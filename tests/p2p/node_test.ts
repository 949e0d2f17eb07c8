import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import { splitBootstrap } from "../../plugins/p2p/node.ts";
import { daemonSpec, startDaemon, type TestDaemon, waitFor } from "./_daemon.ts";

Deno.test({
  name: "P2PNode.start() reports a busy listen address in one line, and releases the others",
  fn: async () => {
    for (const busy of ["tcp", "ws"] as const) {
      const spec = await daemonSpec(81);
      const taken = Deno.listen({ hostname: "127.0.0.1", port: spec.ports[busy] });
      try {
        const suffix = busy === "ws" ? "/ws" : "";
        await assert.rejects(startDaemon(spec), (err) => {
          assert.ok(isMeteorError(err, "E_PLUGIN"));
          assert.equal(
            err.message,
            `Cannot start plugin "p2p": Cannot listen on /ip4/127.0.0.1/tcp/${
              spec.ports[busy]
            }${suffix}: port ${spec.ports[busy]} is in use by another process; ` +
              "choose another port in config.json p2p.listen",
          );
          assert.ok(isMeteorError(err.cause, "E_ADDR_IN_USE"));
          return true;
        });
        // Nothing stayed bound: the same ports serve a node once freed.
        taken.close();
        const daemon = await startDaemon(spec);
        await daemon.stop();
      } finally {
        try {
          taken.close();
        } catch {
          // closed above
        }
        await Deno.remove(spec.home, { recursive: true });
      }
    }
  },
});

Deno.test("splitBootstrap() parts a bootstrap address into its transport and PeerId", () => {
  const peer = "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK";
  const cases: [string, { transport: string; peer?: string }][] = [
    ["/ip4/127.0.0.1/tcp/4001", { transport: "/ip4/127.0.0.1/tcp/4001", peer: undefined }],
    [`/ip4/127.0.0.1/tcp/4001/p2p/${peer}`, { transport: "/ip4/127.0.0.1/tcp/4001", peer }],
    [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${peer}`, { transport: "/ip4/127.0.0.1/tcp/4002/ws", peer }],
  ];
  for (const [address, parts] of cases) assert.deepEqual(splitBootstrap(address), parts);
});

Deno.test({
  name: "P2PNode.retry() does not dial a connected bootstrap peer again, with or without /p2p/",
  fn: async () => {
    const hubSpec = await daemonSpec(84);
    const hub = await startDaemon(hubSpec);
    const withPeer = hub.p2p.addresses()[0];
    const specs = [await daemonSpec(85), await daemonSpec(86)];
    specs[0].bootstrap = [withPeer];
    specs[1].bootstrap = [withPeer.replace(/\/p2p\/[^/]+$/, "")];
    const daemons: TestDaemon[] = [];
    try {
      for (const spec of specs) daemons.push(await startDaemon({ ...spec, retryMs: 50 }));
      const hubPeer = hub.p2p.libp2p.peerId.toString();
      await waitFor(
        "both connected",
        () =>
          daemons.every((d) =>
            d.p2p.libp2p.getConnections().some((c) => c.remotePeer.toString() === hubPeer)
          ),
      );
      // The shared host view forwards a set to the host: count the daemons' dials from now on.
      const dials = daemons.map((d) => {
        const host = d.p2p.libp2p;
        const dial = host.dial.bind(host);
        const count = { n: 0 };
        host.dial = (...args: Parameters<typeof dial>) => (count.n++, dial(...args));
        return count;
      });
      // Twenty retry periods: each one used to dial an address without /p2p/ again.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.deepEqual(dials.map((d) => d.n), [0, 0]);
    } finally {
      for (const d of daemons) await d.stop();
      await hub.stop();
      for (const spec of [hubSpec, ...specs]) await Deno.remove(spec.home, { recursive: true });
    }
  },
});
