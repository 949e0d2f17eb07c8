import assert from "node:assert/strict";
import { reachableAddresses } from "../../cli/_addresses.ts";

const PEER = "12D3KooWJTpPdzonZWvH4LYe1hUjhSTwFwyf5cGirYD16q8YQ8bo";
const INTERFACES = [
  { family: "IPv4", address: "127.0.0.1" },
  { family: "IPv4", address: "192.0.2.2" },
  { family: "IPv6", address: "::1" },
  { family: "IPv6", address: "fd00::2" },
  { family: "IPv6", address: "fe80::fc:ff:fe00:1" },
];

Deno.test("reachableAddresses() turns listen addresses into dialable ones with the PeerId", () => {
  const cases: [string[], string[]][] = [
    [[], []],
    [["/ip4/127.0.0.1/tcp/4001"], [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`]],
    [["/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/tcp/4002/ws"], [
      `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`,
      `/ip4/192.0.2.2/tcp/4001/p2p/${PEER}`,
      `/ip4/127.0.0.1/tcp/4002/ws/p2p/${PEER}`,
      `/ip4/192.0.2.2/tcp/4002/ws/p2p/${PEER}`,
    ]],
    [["/ip6/::/tcp/4001"], [`/ip6/::1/tcp/4001/p2p/${PEER}`, `/ip6/fd00::2/tcp/4001/p2p/${PEER}`]],
    // Port 0 is chosen at start: unknown until the daemon runs.
    [["/ip4/0.0.0.0/tcp/0", "/ip4/127.0.0.1/tcp/0/ws"], []],
    [["garbage", "/dns4/example.org/tcp/4001"], [`/dns4/example.org/tcp/4001/p2p/${PEER}`]],
    [[`/ip4/192.0.2.9/tcp/1/p2p/${PEER}`], [`/ip4/192.0.2.9/tcp/1/p2p/${PEER}`]],
    [["/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/1"], [`/ip4/127.0.0.1/tcp/1/p2p/${PEER}`]],
  ];
  for (const [listen, expected] of cases) {
    assert.deepEqual(reachableAddresses(listen, PEER, INTERFACES), expected, listen.join(" "));
  }
  assert.deepEqual(reachableAddresses(["/ip4/0.0.0.0/tcp/7"], PEER, []), [
    `/ip4/127.0.0.1/tcp/7/p2p/${PEER}`,
  ]);
});
