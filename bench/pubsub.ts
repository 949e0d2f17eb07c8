/**
 * PubSub on 10 in-process daemons on loopback (real libp2p over TCP, the real
 * plugin, API and validator), in a line: daemon i dials only daemon i - 1.
 * Reports delivery ratio, duplicates and p50/p99 propagation latency (the
 * author's timestamp, taken before signing, to each subscriber's event),
 * then how many messages/s one publisher pushes through the API, against
 * the rate of bare hybrid signatures measured in the same run (the ceiling
 * a signed publish cannot pass).
 *
 *     deno task bench:pubsub [--nodes 10] [--messages 200] [--burst 500]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { deriveKeys } from "../core/identity/mod.ts";
import { seedSigner } from "../core/crypto/mod.ts";
import { MESSAGE_LABEL } from "../plugins/pubsub/envelope.ts";
import type { DeliveredMessage } from "../plugins/pubsub/mod.ts";
import { publish, startLine, stopLine, subscribeAll, waitFor } from "../tests/pubsub/_line.ts";
import { formatNumber, median, percentile, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "10" },
    messages: { type: "string", default: "200" },
    burst: { type: "string", default: "500" },
  },
});
const nodes = Number(values.nodes);
const messages = Number(values.messages);
const burst = Number(values.burst);

/** Deliveries per node, by msgId. */
function tally(received: readonly DeliveredMessage[], ids: ReadonlySet<string>) {
  const counts = new Map<string, number>();
  for (const m of received) {
    if (ids.has(m.msgId)) counts.set(m.msgId, (counts.get(m.msgId) ?? 0) + 1);
  }
  return counts;
}

const line = await startLine(nodes, 120);
try {
  await subscribeAll(line, "bench");
  const subscribers = line.slice(1);

  // 1. Paced messages: delivery, duplicates, latency.
  const paced = new Set<string>();
  for (let i = 0; i < messages; i++) {
    paced.add((await publish(line[0], "bench", `paced ${i}`)).msgId);
    await new Promise((r) => setTimeout(r, 10));
  }
  await waitFor(
    "paced deliveries",
    () => subscribers.every((d) => tally(d.received, paced).size === paced.size),
    30_000,
  ).catch(() => {});
  await new Promise((r) => setTimeout(r, 1_000));
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
  const lastHop = subscribers.at(-1)!.received.filter((m) => paced.has(m.msgId))
    .map((m) => m.receivedAt - m.sentAt);

  // 2. A burst from one publisher, through the API, as fast as it goes.
  const burstIds = new Set<string>();
  const started = performance.now();
  for (let i = 0; i < burst; i++) {
    burstIds.add((await publish(line[0], "bench", `burst ${i}`)).msgId);
  }
  const pushed = performance.now() - started;
  await waitFor(
    "burst deliveries",
    () => subscribers.every((d) => tally(d.received, burstIds).size === burstIds.size),
    60_000,
  ).catch(() => {});
  const drained = performance.now() - started;
  let burstDelivered = 0;
  for (const d of subscribers) burstDelivered += tally(d.received, burstIds).size;

  // Baseline, same run: bare hybrid signatures of an envelope-sized message.
  const keys = await deriveKeys(new Uint8Array(32).fill(7));
  const signer = seedSigner(keys.seeds);
  const sample = new Uint8Array(6_700);
  const signStart = performance.now();
  for (let i = 0; i < 200; i++) await signer.sign(MESSAGE_LABEL, sample);
  const signRate = 200 / ((performance.now() - signStart) / 1000);

  const publishRate = burst / (pushed / 1000);
  console.log(
    `PubSub, ${nodes} daemons in a line on 127.0.0.1 (daemon i dials i - 1), ${
      nodes - 1
    } subscribers`,
  );
  console.log(table(["measure", "value"], [
    ["paced messages (10 ms apart)", String(messages)],
    ["delivery ratio", `${formatNumber((100 * delivered) / (paced.size * subscribers.length))} %`],
    ["duplicates delivered", String(duplicates)],
    ["latency p50, all subscribers", `${formatNumber(median(latencies))} ms`],
    ["latency p99, all subscribers", `${formatNumber(percentile(latencies, 99))} ms`],
    [`latency p99, last node (${nodes - 1} hops)`, `${formatNumber(percentile(lastHop, 99))} ms`],
    ["burst: messages published", String(burst)],
    ["burst: publish rate (API, signed)", `${formatNumber(publishRate)} msg/s`],
    ["baseline: bare hybrid signatures", `${formatNumber(signRate)} sig/s`],
    ["publish rate / signature rate", formatNumber(publishRate / signRate)],
    [
      "burst: delivery ratio",
      `${formatNumber((100 * burstDelivered) / (burst * subscribers.length))} %`,
    ],
    ["burst: all delivered after", `${formatNumber(drained)} ms`],
  ]));
} finally {
  await stopLine(line);
}
// The stopped daemons leave libp2p's idle timers behind for minutes; the numbers are out.
Deno.exit(0);
