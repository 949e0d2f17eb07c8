/**
 * The DHT benchmark (`deno task bench:dht`): how well a MeteorID resolves.
 *
 * 1. Ten real daemons in this process (the p2p and dht plugins, temporary
 *    homes, TCP on 127.0.0.1) started in a line, each bootstrapping only to
 *    the one before it; once each has published, every daemon resolves every
 *    other's MeteorID through the dht plugin.
 * 2. N simulated nodes in this process (bench/_dht_sim.ts): bare libp2p hosts
 *    over libp2p's in-process memory transport (or TCP on 127.0.0.1 with
 *    `--transport tcp`) running the dht plugin's own kad-dht service and
 *    lookup; each publishes a signed identity document, then random nodes
 *    resolve random others.
 *
 * It prints the success rate, the median and p95 hops and latency, and
 * log2(N), Kademlia's yardstick, then the simulated network's set-up time
 * and memory. Numbers only; nothing is asserted.
 *
 * Usage: deno task bench:dht [--nodes N] [--lookups N] [--daemons N] [--transport memory|tcp]
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { DhtApi } from "../plugins/dht/mod.ts";
import { waitFor } from "../tests/p2p/_daemon.ts";
import { dhtStats, startLine, stopAll } from "../tests/dht/_line.ts";
import {
  resolveRandom,
  type Sample,
  type SimTransport,
  startNetwork,
  stopNetwork,
} from "./_dht_sim.ts";
import { median, percentile, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    lookups: { type: "string", default: "500" },
    daemons: { type: "string", default: "10" },
    transport: { type: "string", default: "memory" },
  },
});

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
    String(median(samples.map((s) => s.queries))),
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
          samples.push({ found: true, hops: found.hops, queries: found.queries, ms: found.ms });
        } catch {
          samples.push({ found: false, hops: 0, queries: 0, ms: performance.now() - started });
        }
      }
    }
    return samples;
  } finally {
    await stopAll(daemons, specs);
  }
}

const nodeCount = Number(values.nodes);
const daemonCount = Number(values.daemons);
const transport = values.transport as SimTransport;
if (transport !== "memory" && transport !== "tcp") throw new Error("--transport: memory or tcp");
const progress = (line: string) => console.error(`  ${line}`);
console.error(`DHT: ${daemonCount} daemons in a line`);
const real = await daemons(daemonCount);
console.error(`DHT: ${nodeCount} simulated nodes over ${transport}`);
const net = await startNetwork(nodeCount, transport, 5000, progress);
const setupRss = Deno.memoryUsage().rss;
const sim = await resolveRandom(net.nodes, Number(values.lookups));
const tables = net.nodes.map((n) => n.dht.routingTable.size);
await stopNetwork(net.nodes);
console.log(table(
  ["network", "N", "found", "hops p50", "hops p95", "ms p50", "ms p95", "queries p50", "log2 N"],
  [
    row("daemons in a line (TCP)", daemonCount, real),
    row(
      `simulated (${transport === "memory" ? "@libp2p/memory" : "TCP loopback"})`,
      nodeCount,
      sim,
    ),
  ],
));
console.log(
  `simulated network: set up and published in ${net.setupS.toFixed(0)} s, ` +
    `${(setupRss / 2 ** 20).toFixed(0)} MiB rss; routing table p50 ${median(tables)} ` +
    `(min ${Math.min(...tables)}); peers accepting a publication p50 ${median(net.accepted)} ` +
    `(min ${Math.min(...net.accepted)}), puts per publication max ${Math.max(...net.tries)} ` +
    `(${net.tries.filter((t) => t > 1).length} retried)`,
);
// libp2p leaves timers behind in some components; the numbers are printed.
Deno.exit(0);
