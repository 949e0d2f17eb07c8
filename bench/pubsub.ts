/**
 * PubSub on 10 in-process daemons on loopback (real libp2p over TCP, the real
 * plugin, API and validator), in three topologies:
 *
 * - `line`: daemon i dials only daemon i - 1 (9 hops end to end);
 * - `random`: daemon i dials two distinct earlier daemons drawn at random
 *   (daemon 1 dials daemon 0), a seeded draw, so every run has the same graph:
 *   what a user who bootstraps each node to one or two others gets, with the
 *   gossipsub mesh formed over those connections;
 * - `mesh`: every daemon dials every earlier one.
 *
 * Daemons run the p2p plugin's default retry period (5 s), as a user's do.
 * By default all share this process; with `--processes` each runs in its
 * own (bench/_pubsub_daemon.ts), so they no longer queue behind one event
 * loop, though they still share this machine's cores.
 * For each topology: delivery ratio, duplicates and p50/p99 propagation
 * latency of paced messages (the author's timestamp, taken before signing, to
 * each subscriber's event), then bursts from one publisher through the API,
 * each followed in the same run by a round of the baselines: bare hybrid
 * signatures (the ceiling a signed publish cannot pass) and one signature
 * plus one verification per subscriber (the CPU one message costs this one
 * process, where every daemon runs). First, the publish path alone: one
 * daemon with no peers publishing through the API, against bare signatures.
 *
 *     deno task bench:pubsub [--nodes 10] [--messages 200] [--burst 100] [--rounds 5]
 *                            [--topology line,random,mesh] [--processes]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { deriveKeys } from "../core/identity/mod.ts";
import { hybridVerify, seedSigner } from "../core/crypto/mod.ts";
import { MESSAGE_LABEL } from "../plugins/pubsub/envelope.ts";
import { DEFAULT_P2P_CONFIG } from "../plugins/p2p/config.ts";
import {
  call,
  type LineDaemon,
  meshPeers,
  publish,
  startNetwork,
  stopLine,
  waitFor,
} from "../tests/pubsub/_line.ts";
import { formatNumber, median, percentile, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "10" },
    messages: { type: "string", default: "200" },
    burst: { type: "string", default: "100" },
    rounds: { type: "string", default: "5" },
    topology: { type: "string", default: "line,random,mesh" },
    processes: { type: "boolean", default: false },
  },
});
const nodes = Number(values.nodes);
const messages = Number(values.messages);
const burst = Number(values.burst);
const rounds = Number(values.rounds);
const TOPIC = "bench";
/** gossipsub's D_lo: a node with at least this many neighbours keeps at least this many in its mesh. */
const D_LO = 4;

/** A deterministic PRNG (mulberry32), so the random topology is the same in every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The earlier daemons daemon i dials, per topology. */
function topology(name: string, n: number): (i: number) => number[] {
  const all = (i: number) => Array.from({ length: i }, (_, j) => j);
  if (name === "line") return (i) => i === 0 ? [] : [i - 1];
  if (name === "mesh") return all;
  if (name === "random") {
    const draw = prng(2026);
    const links = Array.from({ length: n }, (_, i) => {
      const earlier = all(i);
      const picked: number[] = [];
      while (picked.length < Math.min(2, i)) {
        picked.push(...earlier.splice(Math.floor(draw() * earlier.length), 1));
      }
      return picked.sort((a, b) => a - b);
    });
    return (i) => links[i];
  }
  throw new Error(`Cannot run the benchmark: unknown topology "${name}"`);
}

/** What the benchmark reads of a delivered message. */
interface Delivery {
  msgId: string;
  sentAt: number;
  receivedAt: number;
}

/** One daemon of the benchmark, in this process or in its own. */
interface BenchNode {
  /** Every message it delivered, in order. */
  received: Delivery[];
  subscribe(topic: string): Promise<unknown>;
  /** Publishes through the API; resolves to the msgId. */
  publish(topic: string, text: string): Promise<string>;
  meshPeers(topic: string): Promise<number>;
  /** The validator's `duplicates` count. */
  duplicates(): Promise<number>;
  stop(): Promise<void>;
}

/** A daemon in this process. */
function inProcess(d: LineDaemon): BenchNode {
  return {
    received: d.received,
    subscribe: (topic) => call(d, "POST", `/v1/topics/${encodeURIComponent(topic)}/subscribe`),
    publish: async (topic, text) => (await publish(d, topic, text)).msgId,
    meshPeers: (topic) => meshPeers(d, topic),
    duplicates: async () =>
      (await call<{ plugins: { pubsub: { stats: Record<string, number> } } }>(
        d,
        "GET",
        "/v1/stats",
      )).plugins.pubsub.stats.duplicates,
    stop: () => stopLine([d]),
  };
}

/** Starts a daemon in its own process (bench/_pubsub_daemon.ts); resolves once it listens. */
async function childProcess(
  seed: number,
  bootstrap: readonly string[],
): Promise<BenchNode & { address: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_pubsub_daemon.ts", import.meta.url).pathname,
      String(seed),
      String(DEFAULT_P2P_CONFIG.retryMs),
      ...bootstrap,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const received: Delivery[] = [];
  const answers = new Map<number, (value: unknown) => void>();
  const started = Promise.withResolvers<string>();
  (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = JSON.parse(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (line.op === "message") received.push(line);
        else if (line.op === "ready") started.resolve(line.address);
        else if (line.op === "answer") answers.get(line.id)?.(line.value);
      }
    }
  })();
  let next = 0;
  const ask = <T>(op: string, fields: Record<string, string> = {}) => {
    const id = next++;
    const answer = new Promise<T>((resolve) => answers.set(id, resolve as (v: unknown) => void));
    writer.write(new TextEncoder().encode(JSON.stringify({ id, op, ...fields }) + "\n"));
    return answer;
  };
  return {
    address: await started.promise,
    received,
    subscribe: (topic) => ask("subscribe", { topic }),
    publish: (topic, text) => ask<string>("publish", { topic, text }),
    meshPeers: (topic) => ask<number>("mesh", { topic }),
    duplicates: () => ask<number>("duplicates"),
    stop: async () => {
      await ask("stop");
      await child.status;
    },
  };
}

/** Starts the network: daemon i dials the earlier daemons `links(i)` names. */
async function startNodes(links: (i: number) => readonly number[]): Promise<BenchNode[]> {
  if (!values.processes) {
    return (await startNetwork(nodes, 120, links, DEFAULT_P2P_CONFIG.retryMs)).map(inProcess);
  }
  const started: (BenchNode & { address: string })[] = [];
  for (let i = 0; i < nodes; i++) {
    started.push(await childProcess(120 + i, links(i).map((j) => started[j].address)));
  }
  return started;
}

/** Deliveries per node, by msgId. */
function tally(received: readonly Delivery[], ids: ReadonlySet<string>) {
  const counts = new Map<string, number>();
  for (const m of received) {
    if (ids.has(m.msgId)) counts.set(m.msgId, (counts.get(m.msgId) ?? 0) + 1);
  }
  return counts;
}

/** Waits (bounded) until every subscriber delivered every one of `ids`. */
function allDelivered(subscribers: readonly BenchNode[], ids: ReadonlySet<string>, ms: number) {
  return waitFor(
    "deliveries",
    () => subscribers.every((d) => tally(d.received, ids).size === ids.size),
    ms,
  ).catch(() => {});
}

const keys = await deriveKeys(new Uint8Array(32).fill(7));
const signer = seedSigner(keys.seeds);
const sample = new Uint8Array(6_700);
const sampleSignature = await signer.sign(MESSAGE_LABEL, sample);

/** Rate of `count` calls of `fn`, per second. */
async function rate(count: number, fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn();
  return count / ((performance.now() - started) / 1000);
}

async function run(name: string) {
  const links = topology(name, nodes);
  const degree = Array.from({ length: nodes }, () => 0);
  for (let i = 0; i < nodes; i++) {
    for (const j of links(i)) degree[i]++, degree[j]++;
  }
  const daemons = await startNodes(links);
  try {
    for (const d of daemons) await d.subscribe(TOPIC);
    await waitFor("every daemon meshed on the topic", async () => {
      for (const [i, d] of daemons.entries()) {
        if (await d.meshPeers(TOPIC) < Math.min(degree[i], D_LO)) return false;
      }
      return true;
    });
    const subscribers = daemons.slice(1);

    // 1. Paced messages: delivery, duplicates, latency.
    const paced = new Set<string>();
    for (let i = 0; i < messages; i++) {
      paced.add(await daemons[0].publish(TOPIC, `paced ${i}`));
      await new Promise((r) => setTimeout(r, 10));
    }
    await allDelivered(subscribers, paced, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const copies = await Promise.all(subscribers.map((d) => d.duplicates()));
    let delivered = 0;
    let duplicates = 0;
    const latencies: number[] = [];
    for (const d of subscribers) {
      for (const n of tally(d.received, paced).values()) {
        delivered++;
        duplicates += n - 1;
      }
      for (const m of d.received) if (paced.has(m.msgId)) latencies.push(m.receivedAt - m.sentAt);
    }

    // 2. Bursts through the API, each followed by a round of the baselines.
    const apiRates: number[] = [];
    const endToEnd: number[] = [];
    const signRates: number[] = [];
    const floorRates: number[] = [];
    let burstDelivered = 0;
    for (let r = 0; r < rounds; r++) {
      const ids = new Set<string>();
      const started = performance.now();
      apiRates.push(
        await rate(burst, async () => ids.add(await daemons[0].publish(TOPIC, `b${r}`))),
      );
      await allDelivered(subscribers, ids, 60_000);
      endToEnd.push(burst / ((performance.now() - started) / 1000));
      for (const d of subscribers) burstDelivered += tally(d.received, ids).size;
      signRates.push(await rate(burst, () => signer.sign(MESSAGE_LABEL, sample)));
      floorRates.push(
        await rate(burst / 4, async () => {
          await signer.sign(MESSAGE_LABEL, sample);
          for (let s = 0; s < subscribers.length; s++) {
            await hybridVerify(keys.publicKeys, MESSAGE_LABEL, sample, sampleSignature);
          }
        }),
      );
    }
    const apiRate = median(apiRates);
    const e2eRate = median(endToEnd);
    const signRate = median(signRates);
    const floorRate = median(floorRates);
    const edges = degree.reduce((a, b) => a + b, 0) / 2;
    console.log(
      `\nPubSub, ${nodes} daemons, topology ${name} (${edges} connections, degree ${
        Math.min(...degree)
      }-${Math.max(...degree)}), ${subscribers.length} subscribers, 127.0.0.1, ${
        values.processes ? "one process per daemon" : "one process"
      }`,
    );
    console.log(table(["measure", "value"], [
      ["paced messages (10 ms apart)", String(messages)],
      [
        "delivery ratio",
        `${formatNumber((100 * delivered) / (paced.size * subscribers.length))} %`,
      ],
      ["duplicates delivered", String(duplicates)],
      [
        "redundant copies received (dropped), per message",
        formatNumber(copies.reduce((a, b) => a + b, 0) / messages),
      ],
      ["latency p50, all subscribers", `${formatNumber(median(latencies))} ms`],
      ["latency p99, all subscribers", `${formatNumber(percentile(latencies, 99))} ms`],
      ["latency max, all subscribers", `${formatNumber(Math.max(...latencies))} ms`],
      [`bursts: ${rounds} x ${burst} messages, medians`, ""],
      ["publish rate (API returns, signed)", `${formatNumber(apiRate)} msg/s`],
      ["delivered rate (all subscribers have it)", `${formatNumber(e2eRate)} msg/s`],
      [
        "burst delivery ratio",
        `${formatNumber((100 * burstDelivered) / (rounds * burst * subscribers.length))} %`,
      ],
      ["baseline: bare hybrid signatures", `${formatNumber(signRate)} sig/s`],
      [
        `baseline: 1 sign + ${subscribers.length} verify (CPU floor)`,
        `${formatNumber(floorRate)} msg/s`,
      ],
      ["publish rate / signature rate", formatNumber(apiRate / signRate)],
      ["delivered rate / CPU floor", formatNumber(e2eRate / floorRate)],
    ]));
  } finally {
    for (const d of daemons) await d.stop();
  }
}

/**
 * The publish path alone: one daemon with no peers, publishing through the
 * API, rounds interleaved with bare signatures.
 */
async function lone() {
  const [daemon] = await startNetwork(1, 150, () => [], DEFAULT_P2P_CONFIG.retryMs);
  try {
    await call(daemon, "POST", `/v1/topics/${TOPIC}/subscribe`);
    const publishRates: number[] = [];
    const signRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      publishRates.push(await rate(burst, () => publish(daemon, TOPIC, `lone ${r}`)));
      signRates.push(await rate(burst, () => signer.sign(MESSAGE_LABEL, sample)));
    }
    console.log("\nPubSub publish path: one daemon, no peers, through the API");
    console.log(table(["measure", "value"], [
      [`${rounds} x ${burst} messages, medians`, ""],
      ["publish rate (API returns, signed)", `${formatNumber(median(publishRates))} msg/s`],
      ["baseline: bare hybrid signatures", `${formatNumber(median(signRates))} sig/s`],
      ["publish rate / signature rate", formatNumber(median(publishRates) / median(signRates))],
    ]));
  } finally {
    await stopLine([daemon]);
  }
}

await lone();
for (const name of values.topology.split(",")) await run(name);
// The stopped daemons leave libp2p's idle timers behind for minutes; the numbers are out.
Deno.exit(0);
