/**
 * The p2p benchmark (`deno task bench:p2p`): two libp2p hosts on loopback
 * (TCP, Noise, Yamux) with Meteor identities. Over one connection it measures
 * messages per second and round-trip latency through a Meteor session
 * (docs/protocol.md: ratchet, ChaCha20-Poly1305, framing), against a raw
 * libp2p stream with the same length-prefixed framing on the same connection
 * as the baseline, and the time of the post-quantum session handshake.
 *
 * Usage: deno task bench:p2p [--messages N] [--pings N] [--handshakes N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";
import { deriveKeys, libp2pPrivateKey } from "../core/identity/mod.ts";
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
  },
});
const MESSAGES = Number(values.messages);
const PINGS = Number(values.pings);
const HANDSHAKES = Number(values.handshakes);
const SIZES = [64, 1024];
/** Throughput runs per transport and size; the median is reported. */
const RUNS = 3;

/** One side's way to send and to wait for replies, the same for both transports. */
interface Pipe {
  send(data: Uint8Array): void;
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

async function main(): Promise<void> {
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
      const meteorRtt = await pings(meteor, size, PINGS);
      const rawRtt = await pings(raw, size, PINGS);
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
      );
      await meteor.close();
      await raw.close();
    }
    console.log(
      `Two libp2p hosts on 127.0.0.1 (TCP, Noise, Yamux), one connection; throughput: median of ` +
        `${RUNS} runs of ${MESSAGES} pipelined messages; latency: ${PINGS} sequential round trips.\n`,
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
}

await main();
// libp2p can leave an idle socket timer behind after stop(); the run is over.
Deno.exit(0);
