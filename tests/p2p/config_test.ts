import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import { DEFAULT_P2P_CONFIG, parseP2PConfig } from "../../plugins/p2p/mod.ts";

Deno.test("parseP2PConfig() accepts multiaddrs and takes defaults for absent keys", () => {
  const cases: [unknown, Partial<typeof DEFAULT_P2P_CONFIG>][] = [
    [undefined, {}],
    [{}, {}],
    [{ listen: [] }, { listen: [] }],
    [{ listen: ["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4002/ws"] }, {
      listen: ["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4002/ws"],
    }],
    [{ bootstrap: ["/dns4/example.org/tcp/4001"] }, {
      bootstrap: ["/dns4/example.org/tcp/4001"],
    }],
    [{ retryMs: 1 }, { retryMs: 1 }],
    [{ retryMaxMs: 60_000, flushConcurrency: 1 }, { retryMaxMs: 60_000, flushConcurrency: 1 }],
    [{ keepDeliveredMs: 1000, keepDelivered: 1 }, { keepDeliveredMs: 1000, keepDelivered: 1 }],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(parseP2PConfig(raw), { ...DEFAULT_P2P_CONFIG, ...expected }, String(raw));
  }
});

Deno.test("parseP2PConfig() refuses bad values with E_BAD_CONFIG naming the key", () => {
  const cases: [unknown, RegExp][] = [
    ["junk", /"p2p" must be an object/],
    [{ listen: "/ip4/127.0.0.1/tcp/1" }, /"listen" must be an array of strings/],
    [{ listen: ["garbage"] }, /"listen\[0\]" must be a multiaddr .*"garbage"/],
    [{ listen: ["/ip4/127.0.0.1/tcp/1", ""] }, /"listen\[1\]" must be a multiaddr/],
    [{ listen: ["/ip4/1.2.3/tcp/1"] }, /"listen\[0\]" must be a multiaddr/],
    [{ listen: ["/ip4/127.0.0.1/tcp/65536"] }, /"listen\[0\]" must be a multiaddr/],
    [{ bootstrap: ["127.0.0.1:4001"] }, /"bootstrap\[0\]" must be a multiaddr/],
    [{ retryMs: 0 }, /"retryMs" must be a positive integer/],
    [{ retryMaxMs: 1.5 }, /"retryMaxMs" must be a positive integer/],
    [{ flushConcurrency: 0 }, /"flushConcurrency" must be a positive integer/],
    [{ keepDeliveredMs: -1 }, /"keepDeliveredMs" must be a positive integer/],
    [{ keepDelivered: "10" }, /"keepDelivered" must be a positive integer/],
    [{ other: 1 }, /unknown key "other"/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(
      () => parseP2PConfig(raw),
      (err) => isMeteorError(err, "E_BAD_CONFIG") && message.test(err.message),
      JSON.stringify(raw),
    );
  }
});
