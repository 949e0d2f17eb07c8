/**
 * The p2p benchmark (`deno task bench:p2p`): two libp2p hosts on loopback
 * (TCP, Noise, Yamux) with Meteor identities. Over one connection it measures
 * messages per second and round-trip latency through a Meteor session
 * (docs/protocol.md: ratchet, ChaCha20-Poly1305, framing), against a raw
 * libp2p stream with the same length-prefixed framing on the same connection
 * as the baseline, and the time of the post-quantum session handshake; then
 * the same messages sent in groups, as an outbox flush sends them (one
 * `Session.sendBatch` per group: consecutive frames, one stream write)
 * against raw frames written a group per write.
 *
 * Then it starts two whole daemons in this process (cli/daemon.ts, temporary
 * homes, 127.0.0.1 only) that are contacts of each other, and measures what
 * a user of the API gets: messages per second from daemon A's
 * `POST /v1/messages` until all are in B's inbox (B's "message" events) and
 * acknowledged back to A ("p2p:delivered"), one message per request and in
 * batches (a JSON array per request), and the latency of sequential
 * messages, beside the raw-stream baseline of the same run.
 *
 * Usage: deno task bench:p2p [--messages N] [--pings N] [--handshakes N] [--group N]
 *          [--daemon-messages N] [--daemon-pings N] [--in-flight N,N...]
 *          [--batch N] [--batch-in-flight N] [--batch-messages N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";
import { ApiClient } from "../cli/_api.ts";
import { type RunningDaemon, startDaemon } from "../cli/daemon.ts";
import { MeteorError } from "../core/errors.ts";
import type { EventBus, EventName } from "../core/events.ts";
import { silentLogger } from "../core/logger.ts";
import { openDatabase, openStore } from "../core/store/mod.ts";
import { messageStore, P2P_MIGRATIONS } from "../plugins/p2p/store/mod.ts";
import { deriveKeys } from "../core/identity/mod.ts";
import { libp2pPrivateKey } from "../core/identity/_libp2p_key.ts";
import { FramedStream } from "../plugins/p2p/_framing.ts";
import {
  acceptChannel,
  type Channel,
  initiateChannel,
  pumpChannel,
  SESSION_PROTOCOL,
} from "../plugins/p2p/channel.ts";
import { documentVerifier, type LocalIdentity, localIdentity } from "../plugins/p2p/session/mod.ts";
import { formatNumber, median, percentile, table } from "./_stats.ts";

const RAW_PROTOCOL = "/meteor-bench/raw/1.0.0";
/** First byte of each benchmark message: what the far end does with it. */
const ECHO = 1;
const SINK = 2;
const SINK_LAST = 3;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    messages: { type: "string", default: "20000" },
    pings: { type: "string", default: "2000" },
    handshakes: { type: "string", default: "30" },
    group: { type: "string", default: "64" },
    "daemon-messages": { type: "string", default: "2000" },
    "daemon-pings": { type: "string", default: "300" },
    "in-flight": { type: "string", default: "16,256" },
    batch: { type: "string", default: "250" },
    "batch-in-flight": { type: "string", default: "4" },
    "batch-messages": { type: "string", default: "10000" },
  },
});
const MESSAGES = Number(values.messages);
const PINGS = Number(values.pings);
const HANDSHAKES = Number(values.handshakes);
/** Messages per group in the grouped throughput rows (an outbox flush's batch). */
const GROUP = Number(values.group);
const DAEMON_MESSAGES = Number(values["daemon-messages"]);
const DAEMON_PINGS = Number(values["daemon-pings"]);
/** API requests daemon A has in flight at once in the daemon throughput runs (one row each). */
const IN_FLIGHT = values["in-flight"].split(",").map(Number);
/** Messages per request (a JSON array) in the batch rows, and such requests in flight at once. */
const BATCH = Number(values.batch);
const BATCH_IN_FLIGHT = Number(values["batch-in-flight"]);
/** Messages per run in the batch rows. */
const BATCH_MESSAGES = Number(values["batch-messages"]);
/** Messages whose store writes are timed apart from the network. */
const STORE_MESSAGES = 1000;
/** How long the daemon section waits for the next message or acknowledgement before it gives up. */
const DAEMON_TIMEOUT_MS = 30_000;
const SIZES = [64, 1024];
/** Throughput runs per transport and size; the median is reported. */
const RUNS = 3;

/** One side's way to send and to wait for replies, the same for both transports. */
interface Pipe {
  send(data: Uint8Array): void;
  /** Sends a group of messages together (the session: one sendBatch; raw: one write). */
  sendGroup(data: Uint8Array[]): Promise<void> | void;
  drained(): Promise<void>;
  /** Resolves with the next reply. */
  reply(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Replies in arrival order, awaited one by one. */
class Replies {
  #queue: Uint8Array[] = [];
  #waiting: ((data: Uint8Array) => void)[] = [];

  push(data: Uint8Array): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(data);
    else this.#queue.push(data);
  }

  next(): Promise<Uint8Array> {
    const data = this.#queue.shift();
    return data ? Promise.resolve(data) : new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** The far end: echoes ECHO messages, counts SINK messages and answers SINK_LAST. */
function serve(send: (data: Uint8Array) => void): (data: Uint8Array) => void {
  return (data) => {
    if (data[0] === ECHO || data[0] === SINK_LAST) send(data.subarray(0, 1));
  };
}

async function host(seedByte: number) {
  const keys = await deriveKeys(new Uint8Array(32).fill(seedByte));
  const libp2p = await createLibp2p({
    privateKey: await libp2pPrivateKey(keys.seeds.ed25519),
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
  return { keys, libp2p, local: await localIdentity(keys) };
}

const verify = documentVerifier();

async function listen(server: { libp2p: Libp2p; local: LocalIdentity }): Promise<void> {
  await server.libp2p.handle(SESSION_PROTOCOL, async (stream, connection) => {
    const channel = await acceptChannel(stream, {
      local: server.local,
      verify,
      remotePeerId: connection.remotePeer.toString(),
    });
    await pumpChannel(channel, serve((data) => channel.session.send(data))).catch(() => {});
  });
  await server.libp2p.handle(RAW_PROTOCOL, async (stream) => {
    const framed = new FramedStream(stream);
    const reply = serve((data) => framed.write(data));
    try {
      for (let frame = await framed.read(); frame !== null; frame = await framed.read()) {
        reply(frame);
      }
      await stream.close();
    } catch {
      // The client went away.
    }
  });
}

async function meteorPipe(client: Client, server: Server): Promise<Pipe> {
  const stream = await client.libp2p.dialProtocol(server.libp2p.getMultiaddrs(), SESSION_PROTOCOL);
  const channel: Channel = await initiateChannel(stream, {
    local: client.local,
    verify,
    remotePeerId: server.libp2p.peerId.toString(),
    expectedId: server.keys.meteorId,
  });
  const replies = new Replies();
  const pumping = pumpChannel(channel, (data) => replies.push(data)).catch(() => {});
  return {
    send: (data) => channel.session.send(data),
    sendGroup: (data) => channel.session.sendBatch(data),
    drained: () => channel.framed.drained(),
    reply: () => replies.next(),
    close: async () => {
      await stream.close();
      await pumping;
    },
  };
}

async function rawPipe(client: Client, server: Server): Promise<Pipe> {
  const stream: Stream = await client.libp2p.dialProtocol(
    server.libp2p.getMultiaddrs(),
    RAW_PROTOCOL,
  );
  const framed = new FramedStream(stream);
  const replies = new Replies();
  const reading = (async () => {
    for (let frame = await framed.read(); frame !== null; frame = await framed.read()) {
      replies.push(frame);
    }
  })().catch(() => {});
  return {
    send: (data) => framed.write(data),
    sendGroup: (data) => framed.writeMany(data),
    drained: () => framed.drained(),
    reply: () => replies.next(),
    close: async () => {
      await stream.close();
      await reading;
    },
  };
}

function payload(kind: number, size: number): Uint8Array {
  const data = crypto.getRandomValues(new Uint8Array(size));
  data[0] = kind;
  return data;
}

/** Messages per second: `count` pipelined messages, until the far end confirms the last. */
async function throughput(pipe: Pipe, size: number, count: number): Promise<number> {
  const sink = payload(SINK, size);
  const last = payload(SINK_LAST, size);
  const start = performance.now();
  for (let i = 0; i < count - 1; i++) {
    pipe.send(sink);
    await pipe.drained();
  }
  pipe.send(last);
  await pipe.reply();
  return count / ((performance.now() - start) / 1000);
}

/** Messages per second: `count` messages sent in groups of `group`, until the last is confirmed. */
async function groupedThroughput(
  pipe: Pipe,
  size: number,
  count: number,
  group: number,
): Promise<number> {
  const sink = payload(SINK, size);
  const groups = Math.ceil(count / group);
  const start = performance.now();
  for (let g = 0; g < groups; g++) {
    const items = Array.from({ length: Math.min(group, count - g * group) }, () => sink);
    if (g === groups - 1) items[items.length - 1] = payload(SINK_LAST, size);
    await pipe.sendGroup(items);
    await pipe.drained();
  }
  await pipe.reply();
  return count / ((performance.now() - start) / 1000);
}

/** Round-trip times in ms of `count` sequential echoes. */
async function pings(pipe: Pipe, size: number, count: number): Promise<number[]> {
  const echo = payload(ECHO, size);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    pipe.send(echo);
    await pipe.reply();
    times.push(performance.now() - start);
  }
  return times;
}

type Client = Awaited<ReturnType<typeof host>>;
type Server = Client;

function ms(value: number): string {
  return `${formatNumber(value)} ms`;
}

/** A raw-stream and a Meteor-session figure of one message size, kept for the daemon table. */
interface Baseline {
  rawRate: number;
  rawRtt: number[];
  sessionRate: number;
  sessionRtt: number[];
}

/** Counts one bus event; waiters learn when the count reached their target. */
class EventCount {
  count = 0;
  readonly #name: string;
  #waiting: { target: number; resolve: (at: number) => void }[] = [];

  constructor(bus: EventBus, name: EventName) {
    this.#name = name;
    bus.on(name, () => {
      this.count++;
      const at = performance.now();
      const due = this.#waiting.filter((w) => w.target <= this.count);
      this.#waiting = this.#waiting.filter((w) => w.target > this.count);
      for (const waiter of due) waiter.resolve(at);
    });
  }

  /**
   * Resolves with performance.now() when the count reaches `target`; rejects
   * when no event came for {@link DAEMON_TIMEOUT_MS} (a stall, not a slow run).
   */
  reached(target: number): Promise<number> {
    if (this.count >= target) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      let seen = this.count;
      const timer = setInterval(() => {
        if (this.count > seen) {
          seen = this.count;
          return;
        }
        clearInterval(timer);
        reject(
          new MeteorError(
            "E_TIMEOUT",
            `Cannot benchmark the daemons: ${this.count} of ${target} "${this.#name}" events, ` +
              `none in the last ${DAEMON_TIMEOUT_MS} ms`,
          ),
        );
      }, DAEMON_TIMEOUT_MS);
      this.#waiting.push({
        target,
        resolve: (at) => {
          clearInterval(timer);
          resolve(at);
        },
      });
    });
  }
}

/** A daemon with the p2p plugin in a new temporary home, everything on 127.0.0.1. */
async function benchDaemon(): Promise<RunningDaemon> {
  const home = await Deno.makeTempDir({ prefix: "meteor-bench-" });
  try {
    const config = {
      version: 1,
      api: { host: "127.0.0.1", port: 0 },
      p2p: { listen: ["/ip4/127.0.0.1/tcp/0"], bootstrap: [] },
      plugins: ["p2p"],
    };
    await Deno.writeTextFile(`${home}/config.json`, JSON.stringify(config), { mode: 0o600 });
    return await startDaemon({ home, logger: silentLogger() });
  } catch (err) {
    await Deno.remove(home, { recursive: true });
    throw err;
  }
}

/** The node's state.db and the p2p plugin's tables, as a daemon has them. */
function benchStore(prefix: string, synchronous: "full" | "normal") {
  const state = openStore(`${prefix}-state.db`, { synchronous });
  const db = openDatabase(`${prefix}-p2p.db`, { migrations: P2P_MIGRATIONS, synchronous });
  return {
    ...messageStore(db),
    counters: state.counters,
    close() {
      db.close();
      state.close();
    },
  };
}

/**
 * Milliseconds per message of the store writes a delivered message costs the
 * two nodes, committed `batch` messages at a time as the daemon's group
 * commit does (plugins/p2p/store/_group_commit.ts): queue, record the
 * attempt, store in the inbox, count in, mark delivered, count out; six
 * commits per batch. Measured apart from the network, on two stores in a
 * temporary folder.
 */
async function storeWrites(
  synchronous: "full" | "normal",
  count: number,
  batch: number,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "meteor-bench-" });
  const sender = benchStore(`${dir}/a`, synchronous);
  const receiver = benchStore(`${dir}/b`, synchronous);
  try {
    const to = new Uint8Array(32).fill(2);
    const from = new Uint8Array(32).fill(1);
    const body = new TextEncoder().encode("x".repeat(SIZES[0]));
    const start = performance.now();
    for (let seq = 0; seq < count; seq += batch) {
      const n = Math.min(batch, count - seq);
      const queued = sender.outbox.enqueueAll(Array(n).fill({ to, kind: "text", body }));
      sender.outbox.recordAttempts(queued.map((m) => m.id));
      receiver.inbox.addAll(
        queued.map((m, i) => ({ id: m.id, from, kind: "text", body, seq: seq + i })),
      );
      receiver.counters.add("p2p", { messagesIn: n, bytesIn: n * body.length });
      sender.outbox.markAllDelivered(queued.map((m) => ({ id: m.id, to })));
      sender.counters.add("p2p", { messagesOut: n, bytesOut: n * body.length });
    }
    return (performance.now() - start) / count;
  } finally {
    sender.close();
    receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Daemon A's API, and the events that say where A's messages to contact "b" are. */
interface DaemonPair {
  api: ApiClient;
  /** "message" on B: stored in B's inbox. */
  received: EventCount;
  /** "p2p:delivered" on A: B's acknowledgement arrived and A marked the message delivered. */
  delivered: EventCount;
}

/** One message to "b": ms from the POST to B's "message" event and to A's "p2p:delivered". */
async function daemonMessage(pair: DaemonPair, text: string): Promise<[number, number]> {
  const arrived = pair.received.reached(pair.received.count + 1);
  const acked = pair.delivered.reached(pair.delivered.count + 1);
  const start = performance.now();
  await pair.api.request("POST", "/v1/messages", { to: "b", text });
  return [await arrived - start, await acked - start];
}

/**
 * Messages per second of `count` messages POSTed to A, `batch` per request
 * (a JSON array when more than one) with `inFlight` requests at a time:
 * until all are in B's inbox, and until all are acknowledged.
 */
async function daemonThroughput(
  pair: DaemonPair,
  text: string,
  count: number,
  inFlight: number,
  batch = 1,
): Promise<[number, number]> {
  const allIn = pair.received.reached(pair.received.count + count);
  const allAcked = pair.delivered.reached(pair.delivered.count + count);
  const start = performance.now();
  let posted = 0;
  const poster = async () => {
    while (posted < count) {
      const n = Math.min(batch, count - posted);
      posted += n;
      const body = batch === 1 ? { to: "b", text } : Array(n).fill({ to: "b", text });
      await pair.api.request("POST", "/v1/messages", body);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, poster));
  const rate = (at: number) => count / ((at - start) / 1000);
  return [rate(await allIn), rate(await allAcked)];
}

/**
 * Starts two daemons that are contacts of each other (by identity documents
 * with their addresses) and measures A to B with text messages of each size;
 * prints the results beside `baselines`. Stops both and removes their homes.
 */
async function daemons(baselines: Map<number, Baseline>): Promise<void> {
  const started: RunningDaemon[] = [];
  try {
    started.push(await benchDaemon(), await benchDaemon());
    const [a, b] = started;
    const api = new ApiClient(a.url, a.node.token);
    const apiB = new ApiClient(b.url, b.node.token);
    const idA = await api.request<{ document: string }>("GET", "/v1/id");
    const idB = await apiB.request<{ document: string }>("GET", "/v1/id");
    await api.request("POST", "/v1/contacts", { name: "b", id: idB.document });
    await apiB.request("POST", "/v1/contacts", { name: "a", id: idA.document });
    const pair: DaemonPair = {
      api,
      received: new EventCount(b.node.events, "message"),
      delivered: new EventCount(a.node.events, "p2p:delivered"),
    };
    const [firstIn, firstAcked] = await daemonMessage(pair, "x".repeat(SIZES[0]));
    const rows: string[][] = [];
    for (const size of SIZES) {
      const text = "x".repeat(size);
      await daemonThroughput(pair, text, 200, IN_FLIGHT[0]); // warm-up
      const oneWay: number[] = [];
      const roundTrip: number[] = [];
      for (let i = 0; i < DAEMON_PINGS; i++) {
        const [inMs, ackMs] = await daemonMessage(pair, text);
        oneWay.push(inMs);
        roundTrip.push(ackMs);
      }
      const base = baselines.get(size)!;
      const modes = [
        ...IN_FLIGHT.map((inFlight) => ({ inFlight, batch: 1, count: DAEMON_MESSAGES })),
        { inFlight: BATCH_IN_FLIGHT, batch: BATCH, count: BATCH_MESSAGES },
      ];
      for (const [i, { inFlight, batch, count }] of modes.entries()) {
        const inRates: number[] = [];
        const ackRates: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          const [inRate, ackRate] = await daemonThroughput(pair, text, count, inFlight, batch);
          inRates.push(inRate);
          ackRates.push(ackRate);
        }
        const inRate = median(inRates);
        const latency = i === 0
          ? [oneWay, roundTrip].flatMap((t) => [ms(median(t)), ms(percentile(t, 99))])
          : ["", "", "", ""];
        const how = batch === 1 ? "" : `batches of ${batch}, `;
        rows.push([
          `${size} B, daemon A API -> daemon B, ${how}${inFlight} in flight`,
          formatNumber(inRate),
          formatNumber(median(ackRates)),
          ...latency,
          `${formatNumber(base.rawRate / inRate)}x`,
        ]);
      }
      rows.push(
        [
          `${size} B, Meteor session (above)`,
          formatNumber(base.sessionRate),
          "",
          "",
          "",
          ms(median(base.sessionRtt)),
          ms(percentile(base.sessionRtt, 99)),
          `${formatNumber(base.rawRate / base.sessionRate)}x`,
        ],
        [
          `${size} B, raw libp2p stream (baseline)`,
          formatNumber(base.rawRate),
          "",
          "",
          "",
          ms(median(base.rawRtt)),
          ms(percentile(base.rawRtt, 99)),
          "1.00x",
        ],
      );
    }
    console.log(
      `\nTwo daemons in this process (API on 127.0.0.1, p2p plugin on 127.0.0.1 TCP), contacts ` +
        `of each other; throughput: median of ${RUNS} runs of ${DAEMON_MESSAGES} text messages ` +
        `POSTed to A's /v1/messages, ${IN_FLIGHT.join(" or ")} requests in flight (and of ` +
        `${BATCH_MESSAGES} in batches of ${BATCH} per request, ${BATCH_IN_FLIGHT} in flight), ` +
        `until all are in B's inbox ` +
        `("message") and acknowledged to A ("p2p:delivered"); latency: ${DAEMON_PINGS} ` +
        `sequential messages, from the POST to B's "message" (one way) and to A's ` +
        `"p2p:delivered" (round trip). Session and raw rows: the same run's figures above.\n`,
    );
    console.log(table([
      "messages",
      "msg/s in inbox",
      "msg/s acked",
      "one way p50",
      "one way p99",
      "round trip p50",
      "round trip p99",
      "cost (raw msg/s / this)",
    ], rows));
    console.log(
      `\nFirst message to a new contact (dial, Noise, PQ handshake, delivery), one sample: ` +
        `${ms(firstIn)} to B's inbox, ${ms(firstAcked)} to the acknowledgement.`,
    );
    const one = await storeWrites("full", STORE_MESSAGES, 1);
    const grouped = await storeWrites("full", STORE_MESSAGES * 10, 64);
    console.log(
      `The 6 SQLite commits (outbox, attempt, inbox, counter, delivered, counter) without the ` +
        `network, synchronous=FULL as the daemon runs: ${ms(one)} per message committed one ` +
        `by one (at most ${formatNumber(1000 / one)} msg/s), ${ms(grouped)} per message in ` +
        `groups of 64 (at most ${formatNumber(1000 / grouped)} msg/s).`,
    );
  } finally {
    for (const daemon of started.reverse()) {
      await daemon.stop();
      await Deno.remove(daemon.home, { recursive: true });
    }
  }
}

async function main(): Promise<void> {
  const baselines = new Map<number, Baseline>();
  const client = await host(1);
  const server = await host(2);
  await listen(server);
  await client.libp2p.dial(server.libp2p.getMultiaddrs());
  try {
    const handshakes: number[] = [];
    const opens: number[] = [];
    for (let i = 0; i < HANDSHAKES + 1; i++) {
      const startRaw = performance.now();
      const raw = await rawPipe(client, server);
      const rawTime = performance.now() - startRaw;
      const start = performance.now();
      const pipe = await meteorPipe(client, server);
      const time = performance.now() - start;
      if (i > 0) {
        handshakes.push(time);
        opens.push(rawTime);
      }
      await pipe.close();
      await raw.close();
    }
    const rows: string[][] = [];
    for (const size of SIZES) {
      const meteor = await meteorPipe(client, server);
      const raw = await rawPipe(client, server);
      await throughput(meteor, size, 500); // warm-up
      await throughput(raw, size, 500);
      // Alternate the two, three times each, and keep the medians: the machine is shared.
      const meteorRates: number[] = [];
      const rawRates: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        meteorRates.push(await throughput(meteor, size, MESSAGES));
        rawRates.push(await throughput(raw, size, MESSAGES));
      }
      const meteorRate = median(meteorRates);
      const rawRate = median(rawRates);
      const groupedMeteor: number[] = [];
      const groupedRaw: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        groupedMeteor.push(await groupedThroughput(meteor, size, MESSAGES, GROUP));
        groupedRaw.push(await groupedThroughput(raw, size, MESSAGES, GROUP));
      }
      const meteorRtt = await pings(meteor, size, PINGS);
      const rawRtt = await pings(raw, size, PINGS);
      baselines.set(size, { rawRate, rawRtt, sessionRate: meteorRate, sessionRtt: meteorRtt });
      rows.push(
        [
          `${size} B, Meteor session`,
          formatNumber(meteorRate),
          ms(median(meteorRtt)),
          ms(percentile(meteorRtt, 99)),
          `${formatNumber(rawRate / meteorRate)}x`,
        ],
        [
          `${size} B, raw libp2p stream (baseline)`,
          formatNumber(rawRate),
          ms(median(rawRtt)),
          ms(percentile(rawRtt, 99)),
          "1.00x",
        ],
        [
          `${size} B, Meteor session, ${GROUP} per sendBatch`,
          formatNumber(median(groupedMeteor)),
          "",
          "",
          `${formatNumber(median(groupedRaw) / median(groupedMeteor))}x`,
        ],
        [
          `${size} B, raw libp2p stream, ${GROUP} frames per write (baseline)`,
          formatNumber(median(groupedRaw)),
          "",
          "",
          "1.00x",
        ],
      );
      await meteor.close();
      await raw.close();
    }
    console.log(
      `Two libp2p hosts on 127.0.0.1 (TCP, Noise, Yamux), one connection; throughput: median of ` +
        `${RUNS} runs of ${MESSAGES} pipelined messages, one per send, or in groups of ${GROUP} ` +
        `(the session and raw runs alternate); latency: ${PINGS} sequential round trips.\n`,
    );
    console.log(
      table(
        ["messages", "msg/s", "RTT p50", "RTT p99", "cost (raw msg/s / this)"],
        rows,
      ),
    );
    console.log();
    console.log(table(["stream setup on an open connection", "p50", "p99"], [
      [
        "Meteor session: new stream + PQ handshake (X-Wing, ML-DSA-65+Ed25519)",
        ms(median(handshakes)),
        ms(percentile(handshakes, 99)),
      ],
      ["raw libp2p stream: new stream (baseline)", ms(median(opens)), ms(percentile(opens, 99))],
    ]));
  } finally {
    await client.libp2p.stop();
    await server.libp2p.stop();
  }
  await daemons(baselines);
}

await main();
// libp2p can leave an idle socket timer behind after stop(); the run is over.
Deno.exit(0);
