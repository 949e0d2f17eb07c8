/**
 * The network harness (`deno task net`): N real `meteor daemon` processes,
 * each in its own Linux network namespace on a bridge (or on 127.0.0.1 where
 * namespaces cannot be made), connected as a mesh, ring, star or line, with
 * faults injected (netem delay with jitter, loss, a partition that heals,
 * kill -9 and restart of random nodes). It accounts for every direct message
 * (sent, acknowledged, delivered, duplicated, lost: each inbox read through
 * its node's API) and measures DHT resolves, pubsub delivery and latency,
 * IPFS transfers, and the identity each node presents across restarts.
 * Numbers only; nothing is asserted.
 *
 * Usage: deno task net [--nodes N] [--scenario mesh|ring|star|line]
 *   [--faults delay[=MS:JITTER],loss=PERCENT,partition,kill[=K]] [--loopback]
 *   [--restarts N] [--restart-nodes K] [--settle S] [--json FILE]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatNumber, table } from "../_stats.ts";
import { Cluster, type Scenario } from "./_cluster.ts";
import {
  addContacts,
  type ApiLatency,
  apiLatency,
  connections,
  dhtResolves,
  type DhtTotals,
  identityAcrossRestarts,
  type IdentityTotals,
  type IpfsTotals,
  ipfsTransfers,
  Messages,
  type MessageTotals,
  pick,
  pubsubDelivery,
  type PubsubTotals,
  until,
} from "./_measure.ts";
import { type Netem, NetNamespaces } from "./_netns.ts";

/** The faults of one run. */
export interface Faults {
  /** Netem delay and jitter on every node's egress (namespaces only). */
  delay: { ms: number; jitterMs: number } | null;
  /** Netem loss in percent (namespaces only). */
  lossPercent: number;
  /** Cut a random third of the nodes off during the sends, then heal (namespaces only). */
  partition: boolean;
  /** How many random nodes are killed with SIGKILL during the sends, then restarted. */
  kill: number;
}

/** What {@link runNet} runs. */
export interface NetOptions {
  nodes: number;
  scenario: Scenario;
  faults: Faults;
  /** Use 127.0.0.1 even where namespaces can be made. */
  loopback: boolean;
  /** Restarts per node for the identity check. */
  restarts: number;
  /** How many random nodes the identity check restarts (default every node). */
  restartNodes?: number;
  /** How long the outbox may take to deliver everything after the heal, in ms. */
  settleMs: number;
  /** Also measure DHT, pubsub and IPFS (default true; the test suite's run skips them). */
  services?: boolean;
  /** Called with progress lines. */
  log?: (line: string) => void;
}

/** The report of one run. */
export interface NetReport {
  nodes: number;
  scenario: Scenario;
  network: "namespaces" | "loopback";
  /** Why namespaces were not used (null when they were). */
  loopbackReason: string | null;
  /** Why netem could not be set in the namespaces (null when it was, or was not asked for). */
  netemReason: string | null;
  /** What dropped the packets of `faults.lossPercent` (null: no loss applied). */
  lossVia: "netem" | "nftables" | null;
  /** Why neither netem nor nftables could drop packets (null when one did, or none was asked). */
  lossReason: string | null;
  faults: Faults;
  /** Faults that did not apply (no namespaces, no netem). */
  skippedFaults: string[];
  startMs: number;
  connections: { pairs: number; possible: number; minDegree: number };
  /** The same count after the faults healed and the messages settled, before DHT, pubsub, IPFS. */
  connectionsAfter: { pairs: number; minDegree: number };
  /** The same count once DHT, pubsub and IPFS were measured. */
  connectionsEnd: { pairs: number; minDegree: number };
  /** GET /v1/health round trips just before the services: the load baseline of their latencies. */
  api: ApiLatency;
  killed: number[];
  /** Killed nodes whose daemon did not start again. */
  notRestarted: number[];
  partitioned: number[];
  totals: MessageTotals;
  dht: DhtTotals | null;
  pubsub: PubsubTotals | null;
  ipfs: IpfsTotals | null;
  identity: IdentityTotals;
  durationMs: number;
}

/** The default faults: 50 ms ± 17.6 ms, 1% loss, a partition, one kill -9. */
export const DEFAULT_FAULTS: Faults = {
  delay: { ms: 50, jitterMs: 17.6 },
  lossPercent: 1,
  partition: true,
  kill: 1,
};

/** Parses `--faults`: comma-separated delay[=MS:JITTER], loss=P, partition, kill[=K], none. */
export function parseFaults(text: string): Faults {
  const faults: Faults = { delay: null, lossPercent: 0, partition: false, kill: 0 };
  for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = item.split("=");
    if (name === "none") continue;
    if (name === "delay") {
      const [ms, jitter] = (value ?? "50:17.6").split(":").map(Number);
      if (!(ms >= 0) || !(jitter >= 0 || jitter === undefined)) {
        throw new RangeError(`Cannot parse --faults: delay=${value}`);
      }
      faults.delay = { ms, jitterMs: jitter ?? 0 };
    } else if (name === "loss") {
      const p = Number(value);
      if (!(p >= 0 && p <= 100)) throw new RangeError(`Cannot parse --faults: loss=${value}`);
      faults.lossPercent = p;
    } else if (name === "partition") faults.partition = true;
    else if (name === "kill") {
      const k = Number(value ?? 1);
      if (!Number.isInteger(k) || k < 0) throw new RangeError(`Cannot parse --faults: ${item}`);
      faults.kill = k;
    } else throw new RangeError(`Cannot parse --faults: unknown fault ${JSON.stringify(item)}`);
  }
  return faults;
}

/** The part of an `ip`/`tc`/`nft` failure that says why (after "Cannot run ...: "). */
function reasonOf(err: unknown): string {
  const message = (err as Error).message;
  return (message.split(": ").slice(1).join(": ") || message).trim();
}

/** No identity round starts after this long. */
const IDENTITY_MS = 20 * 60_000;

/** What an interrupted run must still undo (SIGINT, SIGTERM): see the entry point. */
const undo = new Set<() => Promise<void>>();

/** Runs one harness run; every namespace and process it made is gone when it settles. */
export async function runNet(options: NetOptions): Promise<NetReport> {
  const t0 = Date.now();
  const log = (line: string) => options.log?.(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
  const n = options.nodes;
  if (!Number.isInteger(n) || n < 2 || n > 100) {
    throw new RangeError(`Cannot run ${n} nodes: from 2 to 100`);
  }
  const k = options.restartNodes ?? n;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(`Cannot restart ${k} nodes of ${n}: from 0 to ${n}`);
  }
  if (!Number.isInteger(options.restarts) || options.restarts < 0) {
    throw new RangeError(`Cannot restart each node ${options.restarts} times: an integer >= 0`);
  }
  const reason = options.loopback ? "--loopback" : await NetNamespaces.unavailable();
  const net = reason === null ? await NetNamespaces.create(n) : null;
  const faults = options.faults;
  let netemReason: string | null = null;
  let lossVia: NetReport["lossVia"] = null;
  let lossReason: string | null = null;
  const skipped: string[] = net ? [] : [
    ...faults.delay ? ["delay"] : [],
    ...faults.lossPercent ? ["loss"] : [],
    ...faults.partition ? ["partition"] : [],
  ];
  if (reason) log(`no namespaces (${reason}): loopback, without ${skipped.join(", ") || "netem"}`);
  const dir = await Deno.makeTempDir({ prefix: "meteor-net-" });
  let cluster: Cluster | undefined;
  const cleanUp = async () => {
    await cluster?.close();
    await net?.destroy();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  undo.add(cleanUp);
  try {
    cluster = await Cluster.create({ nodes: n, scenario: options.scenario, net, dir });
    log(`${n} homes in ${dir}; starting daemons`);
    const startAt = Date.now();
    await cluster.start();
    const startMs = Date.now() - startAt;
    if (net && (faults.delay || faults.lossPercent)) {
      const settings: Netem = {
        delayMs: faults.delay?.ms ?? 0,
        jitterMs: faults.delay?.jitterMs ?? 0,
        lossPercent: faults.lossPercent,
      };
      lossVia = faults.lossPercent ? "netem" : null;
      await net.netem(settings).catch(async (err) => {
        // A kernel without sch_netem (some VMs and containers): say so, drop
        // packets with nftables instead, and run without delay.
        await net.netem(null);
        netemReason = reasonOf(err);
        if (faults.delay) skipped.push("delay");
        lossVia = null;
        if (faults.lossPercent) {
          await net.loss(faults.lossPercent).then(
            () => lossVia = "nftables",
            (err) => (skipped.push("loss"), lossReason = reasonOf(err)),
          );
        }
        log(
          `no netem (${netemReason}): ${skipped.length ? `without ${skipped.join(", ")}` : ""}${
            lossVia ? `; loss by ${lossVia}` : ""
          }`,
        );
      });
    }
    let links = await connections(cluster);
    const want = options.scenario === "mesh" ? 1 : 0;
    await until(
      async () => {
        links = await connections(cluster!);
        return links.degree.every((d) => d >= want) &&
          (options.scenario !== "mesh" || links.pairs === (n * (n - 1)) / 2);
      },
      30_000,
      1000,
    );
    log(`connections: ${links.pairs} of ${(n * (n - 1)) / 2}`);
    await addContacts(cluster);

    const messages = new Messages(cluster);
    const all = cluster.nodes.map((x) => x.index);
    await messages.send(0, all);
    const killed = pick(n, Math.min(faults.kill, n - 1));
    const partitioned = net && faults.partition ? pick(n, Math.max(1, Math.floor(n / 3))) : [];
    log(`faults: kill ${killed.join(" ") || "-"}, partition ${partitioned.join(" ") || "-"}`);
    await Promise.all(killed.map((i) => cluster!.nodes[i].stop("SIGKILL")));
    if (net && partitioned.length) await net.partition(partitioned);
    await messages.send(1, all.filter((i) => !killed.includes(i)));
    await new Promise((r) => setTimeout(r, 3000));
    if (net && partitioned.length) await net.heal(partitioned);
    // A node that does not come back is reported, and its messages count as lost.
    const back = await Promise.all(
      killed.map((i) => cluster!.nodes[i].start().then(() => true, () => false)),
    );
    const notRestarted = killed.filter((_, k) => !back[k]);
    await messages.send(1, killed.filter((_, k) => back[k]));
    log(`sent ${messages.sent.length}; healed; waiting for delivery`);
    const totals = await messages.settle(options.settleMs);
    log(`delivered ${totals.delivered}/${totals.sent}, duplicates ${totals.duplicates}`);

    const running = (name: string) =>
      options.services !== false && cluster!.nodes.every((x) => x.plugins.includes(name));
    const after = await connections(cluster);
    const api = await apiLatency(cluster, 5);
    log(`connections after the faults: ${after.pairs}; api p99 ${api.p99Ms} ms; dht, pubsub, ipfs`);
    const dht = running("dht") ? await dhtResolves(cluster, Math.min(2 * n, 40)) : null;
    const pubsub = running("pubsub") ? await pubsubDelivery(cluster, 5, 15_000) : null;
    const ipfs = running("ipfs") ? await ipfsTransfers(cluster, Math.min(n, 10), 64 * 1024) : null;
    const end = await connections(cluster);
    log(`connections: ${end.pairs}; identity across restarts`);
    const restarted = pick(n, Math.min(k, n - notRestarted.length), notRestarted).sort((a, b) =>
      a - b
    )
      .map((i) => cluster!.nodes[i]);
    const identity = await identityAcrossRestarts(
      cluster,
      options.restarts,
      IDENTITY_MS,
      restarted,
    );
    return {
      nodes: n,
      scenario: options.scenario,
      network: net ? "namespaces" : "loopback",
      loopbackReason: reason,
      netemReason,
      lossVia,
      lossReason,
      faults,
      skippedFaults: skipped,
      startMs,
      connections: {
        pairs: links.pairs,
        possible: (n * (n - 1)) / 2,
        minDegree: Math.min(...links.degree),
      },
      connectionsAfter: { pairs: after.pairs, minDegree: Math.min(...after.degree) },
      connectionsEnd: { pairs: end.pairs, minDegree: Math.min(...end.degree) },
      api,
      killed,
      notRestarted,
      partitioned,
      totals,
      dht,
      pubsub,
      ipfs,
      identity,
      durationMs: Date.now() - t0,
    };
  } finally {
    undo.delete(cleanUp);
    await cleanUp();
  }
}

/** The report as a table. */
export function formatReport(r: NetReport): string {
  const f = (v: number | null) => (v === null ? "-" : formatNumber(v));
  const pct = (a: number, b: number) => (b ? `${formatNumber((100 * a) / b)}%` : "-");
  const t = r.totals;
  const rows: string[][] = [
    ["connections", `${r.connections.pairs} of ${r.connections.possible}`, r.scenario],
    [
      "connections after",
      String(r.connectionsAfter.pairs),
      `the faults healed; min degree ${r.connectionsAfter.minDegree}`,
    ],
    [
      "connections at end",
      String(r.connectionsEnd.pairs),
      `after DHT, pubsub, IPFS; min degree ${r.connectionsEnd.minDegree}`,
    ],
    ["direct sent", String(t.sent), `${t.refused} refused at the API`],
    ["direct acknowledged", String(t.acknowledged), pct(t.acknowledged, t.sent)],
    ["direct delivered", String(t.delivered), pct(t.delivered, t.sent)],
    ["direct duplicates", String(t.duplicates), "in the inboxes"],
    ["direct lost", String(t.lost), t.settleMs === null ? "not all acked" : `${t.settleMs} ms`],
  ];
  rows.push([
    "api round trip",
    `${f(r.api.p50Ms)} ms p50`,
    `${f(r.api.p99Ms)} ms p99 of ${r.api.samples} GET /v1/health (the load baseline)`,
  ]);
  if (r.dht) {
    rows.push([
      "dht resolves",
      `${r.dht.found}/${r.dht.lookups}`,
      `hops p50 ${f(r.dht.hopsP50)} max ${f(r.dht.hopsMax)}, ${f(r.dht.msP50)} ms p50`,
    ]);
  }
  if (r.pubsub) {
    rows.push([
      "pubsub delivery",
      `${r.pubsub.received}/${r.pubsub.expected}`,
      `${
        pct(r.pubsub.received, r.pubsub.expected)
      } (mesh peers min ${r.pubsub.meshPeersMin}), p50 ${f(r.pubsub.p50Ms)} ms, p99 ${
        f(r.pubsub.p99Ms)
      } ms`,
    ]);
  }
  if (r.ipfs) {
    rows.push([
      "ipfs transfers",
      `${r.ipfs.ok}/${r.ipfs.transfers}`,
      `${r.ipfs.bytes} B, ${f(r.ipfs.msP50)} ms p50${
        r.ipfs.failures.length
          ? `; failed: ${
            r.ipfs.failures.map((x) =>
              `${x.from}->${x.to} ${x.error} after ${x.ms} ms${
                x.connected ? "" : " (not connected)"
              }`
            ).join("; ")
          }`
          : ""
      }`,
    ]);
  }
  rows.push([
    "identity",
    `${r.identity.identical}/${r.identity.checks}`,
    `identical after ${r.identity.restarts} restarts of each of ${
      r.identity.nodes.length === r.nodes ? "all" : r.identity.nodes.length
    } nodes${r.identity.nodes.length === r.nodes ? "" : ` (${r.identity.nodes.join(" ")})`}`,
  ]);
  const faults = [
    r.faults.delay ? `delay ${r.faults.delay.ms}±${r.faults.delay.jitterMs} ms` : "",
    r.lossVia ? `loss ${r.faults.lossPercent}% (${r.lossVia})` : "",
    r.partitioned.length ? `partition of ${r.partitioned.length} healed` : "",
    r.killed.length
      ? `kill -9 of ${r.killed.length}${
        r.notRestarted.length ? ` (${r.notRestarted.join(" ")} did not start again)` : ""
      }`
      : "",
  ].filter(Boolean).join(", ");
  return [
    `${r.nodes} nodes, ${r.network}${r.loopbackReason ? ` (${r.loopbackReason})` : ""}; faults: ${
      faults || "none"
    }${r.skippedFaults.length ? `; skipped: ${r.skippedFaults.join(", ")}` : ""}${
      r.netemReason ? ` (netem: ${r.netemReason})` : ""
    }${r.lossReason ? ` (loss: ${r.lossReason})` : ""}`,
    table(["measure", "result", "detail"], rows),
    `start ${r.startMs} ms, run ${formatNumber(r.durationMs / 1000)} s`,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nodes: { type: "string", default: "20" },
      scenario: { type: "string", default: "mesh" },
      faults: { type: "string", default: "delay,loss=1,partition,kill" },
      loopback: { type: "boolean", default: false },
      restarts: { type: "string", default: "10" },
      "restart-nodes": { type: "string" },
      settle: { type: "string", default: "120" },
      json: { type: "string" },
    },
  });
  const scenario = values.scenario as Scenario;
  if (!["mesh", "ring", "star", "line"].includes(scenario)) {
    throw new RangeError(`Cannot run scenario ${scenario}: mesh, ring, star or line`);
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await Promise.all([...undo].map((f) => f()));
      Deno.exit(130);
    });
  }
  const report = await runNet({
    nodes: Number(values.nodes),
    scenario,
    faults: parseFaults(values.faults),
    loopback: values.loopback,
    restarts: Number(values.restarts),
    restartNodes: values["restart-nodes"] === undefined
      ? undefined
      : Number(values["restart-nodes"]),
    settleMs: Number(values.settle) * 1000,
    log: (line) => console.error(`net: ${line}`),
  });
  console.log(formatReport(report));
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2) + "\n");
}
