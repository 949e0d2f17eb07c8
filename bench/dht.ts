/**
 * The DHT benchmark (`deno task bench:dht`): how well a MeteorID resolves.
 *
 * 1. Ten real daemons in this process (the p2p and dht plugins, temporary
 *    homes, TCP on 127.0.0.1) started in a line, each bootstrapping only to
 *    the one before it; once each has published, every daemon resolves every
 *    other's MeteorID through the dht plugin.
 * 2. N simulated nodes in this process: bare libp2p hosts (TCP on 127.0.0.1,
 *    Noise, Yamux, identify, ping) running the dht plugin's own kad-dht
 *    service (plugins/dht/service.ts: the same protocol, validator, selector
 *    and options) and its lookup; each publishes a signed identity document,
 *    then random nodes resolve random others. No memory transport is pinned in
 *    this project, so the simulation runs over real loopback sockets.
 *
 * It prints the success rate, the median and p95 hops and latency, and
 * log2(N), Kademlia's yardstick. Numbers only; nothing is asserted.
 *
 * Usage: deno task bench:dht [--nodes N] [--lookups N] [--daemons N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";
import { createDocument, deriveKeys, encodeDocument } from "../core/identity/mod.ts";
import { libp2pPrivateKey } from "../core/identity/_libp2p_key.ts";
import { DEFAULT_DHT_CONFIG } from "../plugins/dht/mod.ts";
import { lookup } from "../plugins/dht/lookup.ts";
import { recordKey } from "../plugins/dht/record.ts";
import { DHT_SERVICE, dhtServices, type MeteorDht } from "../plugins/dht/service.ts";
import { waitFor } from "../tests/p2p/_daemon.ts";
import { dhtStats, startLine, stopAll } from "../tests/dht/_line.ts";
import type { DhtApi } from "../plugins/dht/mod.ts";
import { median, percentile, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    lookups: { type: "string", default: "500" },
    daemons: { type: "string", default: "10" },
  },
});

/** One resolve: found or not, hops, latency. */
interface Sample {
  found: boolean;
  hops: number;
  ms: number;
}

/** A table row of `samples`. */
function row(what: string, nodes: number, samples: Sample[]): string[] {
  const found = samples.filter((s) => s.found);
  const hops = found.map((s) => s.hops);
  const ms = found.map((s) => s.ms);
  const pct = (100 * found.length / samples.length).toFixed(1);
  const or = (f: () => string) => found.length === 0 ? "-" : f();
  return [
    what,
    String(nodes),
    `${found.length}/${samples.length} (${pct}%)`,
    or(() => String(median(hops))),
    or(() => String(percentile(hops, 95))),
    or(() => median(ms).toFixed(1)),
    or(() => percentile(ms, 95).toFixed(1)),
    Math.log2(nodes).toFixed(2),
  ];
}

/** Part 1: real daemons in a line. */
async function daemons(count: number): Promise<Sample[]> {
  const { daemons, specs } = await startLine(count, 60);
  try {
    await waitFor(
      "every daemon published",
      () => daemons.every((d) => dhtStats(d).published > 0),
      120_000,
    );
    const samples: Sample[] = [];
    for (const from of daemons) {
      const api = from.node.registry.running.find((r) => r.plugin.name === "dht")!.instance
        .api as DhtApi;
      for (const to of daemons) {
        if (to === from) continue;
        const started = performance.now();
        try {
          const found = await api.resolve(to.keys.meteorId);
          samples.push({ found: true, hops: found.hops, ms: performance.now() - started });
        } catch {
          samples.push({ found: false, hops: 0, ms: performance.now() - started });
        }
      }
    }
    return samples;
  } finally {
    await stopAll(daemons, specs);
  }
}

/** A simulated node: a bare host with the dht plugin's service. */
interface SimNode {
  libp2p: Libp2p;
  dht: MeteorDht;
  meteorId: Uint8Array;
  document: Uint8Array;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/** Part 2: N simulated nodes. */
async function simulated(
  count: number,
  lookups: number,
): Promise<{ samples: Sample[]; setupS: number }> {
  const started = performance.now();
  const nodes: SimNode[] = [];
  const services = dhtServices({ ...DEFAULT_DHT_CONFIG }, () => {});
  try {
    for (let i = 0; i < count; i++) {
      const seed = new Uint8Array(32);
      new DataView(seed.buffer).setUint32(0, i + 1);
      const keys = await deriveKeys(seed);
      const libp2p = await createLibp2p({
        privateKey: await libp2pPrivateKey(keys.seeds.ed25519),
        addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), ping: ping(), ...services },
      });
      const dht = (libp2p.services as Record<string, unknown>)[DHT_SERVICE] as MeteorDht;
      if (i > 0) {
        const peer = nodes[Math.floor(Math.random() * i)];
        await libp2p.dial(peer.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
          .catch(() => {});
      }
      const document = encodeDocument(
        await createDocument(keys, { addresses: libp2p.getMultiaddrs().map(String) }),
      );
      nodes.push({ libp2p, dht, meteorId: keys.meteorId, document });
      if ((i + 1) % 100 === 0) console.error(`  started ${i + 1}/${count} nodes`);
    }
    // Let the self-queries fill the routing tables, then publish every record.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await pool(nodes, 16, async (node) => {
      try {
        for await (
          const _ of node.dht.put(recordKey(node.meteorId), node.document, {
            signal: AbortSignal.timeout(60_000),
          })
        ) {
          // Drain the put.
        }
      } catch {
        // A failed put shows as a miss below.
      }
    });
    console.error(`  published ${count} records`);
    const setupS = (performance.now() - started) / 1000;
    const samples: Sample[] = [];
    await pool(Array.from({ length: lookups }), 8, async () => {
      const from = nodes[Math.floor(Math.random() * count)];
      let to = from;
      while (to === from) to = nodes[Math.floor(Math.random() * count)];
      const result = await lookup(
        from.dht,
        to.meteorId,
        AbortSignal.timeout(DEFAULT_DHT_CONFIG.resolveTimeoutMs),
        from.libp2p.peerId.toString(),
      );
      samples.push({
        found: result.document !== null,
        hops: "hops" in result ? result.hops : 0,
        ms: result.ms,
      });
    });
    return { samples, setupS };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.libp2p.stop()));
  }
}

const nodeCount = Number(values.nodes);
const daemonCount = Number(values.daemons);
console.error(`DHT: ${daemonCount} daemons in a line`);
const real = await daemons(daemonCount);
console.error(`DHT: ${nodeCount} simulated nodes`);
const sim = await simulated(nodeCount, Number(values.lookups));
console.log(table(
  ["network", "N", "found", "hops p50", "hops p95", "ms p50", "ms p95", "log2 N"],
  [
    row("daemons in a line", daemonCount, real),
    row("simulated (TCP loopback)", nodeCount, sim.samples),
  ],
));
console.log(
  `simulated network set up and published in ${sim.setupS.toFixed(0)} s; ` +
    `memory ${(Deno.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB rss`,
);
// libp2p leaves timers behind in some components; the numbers are printed.
Deno.exit(0);
