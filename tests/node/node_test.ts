import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { apiHosts, pluginSections } from "../../core/node.ts";
import type { PluginContext } from "../../core/plugin.ts";
import { fakePlugin, startTestNode } from "./_helpers.ts";

Deno.test("apiHosts() allows the loopback names and a specific configured host", () => {
  const loop = ["127.0.0.1:7701", "localhost:7701", "[::1]:7701"];
  const cases: [string, string[]][] = [
    ["127.0.0.1", loop],
    ["localhost", loop],
    ["::1", loop],
    ["0.0.0.0", loop],
    ["::", loop],
    ["192.168.1.5", [...loop, "192.168.1.5:7701"]],
    ["fe80::1", [...loop, "[fe80::1]:7701"]],
  ];
  for (const [host, expected] of cases) assert.deepEqual(apiHosts(7701, host), expected, host);
});

Deno.test("pluginSections() gives p2p the top-level p2p section with pluginConfig.p2p on top", () => {
  const config = defaultConfig({ api: 1, p2pTcp: 2, p2pWs: 3 });
  const cases: [Record<string, unknown>, Record<string, unknown>][] = [
    [{}, { p2p: config.p2p }],
    [{ echo: { prefix: ">" } }, { echo: { prefix: ">" }, p2p: config.p2p }],
    [{ p2p: { bootstrap: ["/x"], extra: 1 } }, {
      p2p: { listen: config.p2p.listen, bootstrap: ["/x"], extra: 1 },
    }],
    [{ p2p: "junk" }, { p2p: config.p2p }],
  ];
  for (const [pluginConfig, expected] of cases) {
    assert.deepEqual(pluginSections({ ...config, pluginConfig }), expected);
  }
});

Deno.test("MeteorNode.stop() aborts its signal, stops plugins, closes the store, once", async () => {
  const log: string[] = [];
  let seen: PluginContext | undefined;
  const node = await startTestNode([fakePlugin("a", { log, onContext: (c) => (seen = c) })], {
    pluginConfig: { a: { x: 1 } },
  });
  assert.deepEqual(seen?.config, { x: 1 });
  assert.deepEqual(seen?.identity.meteorId, node.keys.meteorId);
  assert.equal(seen?.identity.peerId, node.keys.peerId);
  assert.equal(seen?.signal.aborted, false);
  assert.deepEqual(node.allowedHosts(), ["127.0.0.1:7701", "localhost:7701", "[::1]:7701"]);
  assert.ok(node.startedAt > 0);
  assert.equal(node.signal.aborted, false);
  await Promise.all([node.stop(), node.stop()]);
  await node.stop();
  assert.equal(node.signal.aborted, true);
  assert.equal(seen?.signal.aborted, true);
  assert.deepEqual(log, ["start:a", "stop:a"]);
  assert.throws(() => node.store.contacts.list());
});
