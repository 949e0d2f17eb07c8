/**
 * The IPFS benchmark (`deno task bench:ipfs`): two whole daemons in this
 * process (cli/daemon.ts, temporary homes, 127.0.0.1 only) with the ipfs
 * plugin (embedded Helia, blockstore-fs). It measures, in the same run,
 * `POST /v1/files` (put) and `GET /v1/files/{cid}` (get) of one file of
 * `--size` MiB, encrypted with age against `--plain` as the baseline:
 * locally on daemon A, and from daemon B (fetched by bitswap from A, then
 * decrypted). Peak RSS of the process is sampled every 20 ms during each
 * operation (both daemons and the client live in it). Medians of `--runs`,
 * the order of the two modes alternating from run to run.
 *
 * Usage: deno task bench:ipfs [--size MiB] [--runs N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ApiClient, apiClientFor } from "../cli/_api.ts";
import { type RunningDaemon, startDaemon } from "../cli/daemon.ts";
import { readApiToken } from "../core/api_token.ts";
import { homePaths } from "../core/home.ts";
import { silentLogger } from "../core/logger.ts";
import { freePorts } from "../tests/_cli.ts";
import { formatNumber, median, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { size: { type: "string", default: "256" }, runs: { type: "string", default: "2" } },
});
const MIB = 1024 * 1024;
const size = Number(values.size) * MIB;
const runs = Number(values.runs);

async function daemon(): Promise<RunningDaemon> {
  const home = await Deno.makeTempDir({ prefix: "meteor-bench-ipfs-" });
  const [api, tcp, ws] = freePorts(3);
  await Deno.writeTextFile(
    `${home}/config.json`,
    JSON.stringify({
      version: 1,
      api: { host: "127.0.0.1", port: api },
      p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`, `/ip4/127.0.0.1/tcp/${ws}/ws`], bootstrap: [] },
      plugins: ["p2p", "ipfs"],
    }),
  );
  return await startDaemon({ home, logger: silentLogger() });
}

/** Pseudo-random pieces of 1 MiB, `size` bytes in all, made as they are read. */
function source(): ReadableStream<Uint8Array> {
  let left = size;
  let x = 1;
  return new ReadableStream({
    pull(controller) {
      const piece = new Uint8Array(Math.min(MIB, left));
      const words = new Uint32Array(piece.buffer, 0, piece.length >>> 2);
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = x;
      }
      left -= piece.length;
      controller.enqueue(piece);
      if (left === 0) controller.close();
    },
  }, { highWaterMark: 0 });
}

/** Runs `fn`, returning its seconds and the peak RSS (MiB) seen meanwhile. */
async function measure<T>(fn: () => Promise<T>): Promise<{ s: number; rss: number; value: T }> {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 20);
  const start = performance.now();
  try {
    const value = await fn();
    return { s: (performance.now() - start) / 1000, rss: peak / MIB, value };
  } finally {
    clearInterval(timer);
  }
}

async function tokenOf(d: RunningDaemon) {
  return await readApiToken(homePaths(d.home).apiToken);
}

async function put(d: RunningDaemon, client: ApiClient, query: string): Promise<string> {
  const res = await fetch(`${client.url}/v1/files?${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${await tokenOf(d)}` },
    body: source(),
  });
  if (!res.ok) throw new Error(`put: ${await res.text()}`);
  return (await res.json()).cid;
}

async function get(d: RunningDaemon, client: ApiClient, cid: string, plain: boolean) {
  const res = await fetch(`${client.url}/v1/files/${cid}${plain ? "?plain=true" : ""}`, {
    headers: { authorization: `Bearer ${await tokenOf(d)}` },
  });
  if (!res.ok) throw new Error(`get: ${await res.text()}`);
  let bytes = 0;
  for await (const piece of res.body!) bytes += piece.length;
  if (bytes !== size) throw new Error(`get: ${bytes} bytes, expected ${size}`);
}

const a = await daemon();
const b = await daemon();
try {
  const ca = await apiClientFor(a.home);
  const cb = await apiClientFor(b.home);
  const idB = await cb.request<{ document: string }>("GET", "/v1/id");
  await ca.request("POST", "/v1/contacts", { name: "bob", id: idB.document });
  const idA = await ca.request<{ document: string }>("GET", "/v1/id");
  await cb.request("POST", "/v1/contacts", { name: "alice", id: idA.document });
  // A message opens the Meteor session, whose connection bitswap then asks on.
  await cb.request("POST", "/v1/messages", { to: "alice", text: "hi" });
  for (let i = 0; i < 200; i++) {
    if ((await cb.request<{ peers: unknown[] }>("GET", "/v1/peers")).peers.length > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const rows: string[][] = [];
  const results: Record<string, { s: number[]; rss: number[] }> = {};
  const record = (name: string, r: { s: number; rss: number }) => {
    results[name] ??= { s: [], rss: [] };
    results[name].s.push(r.s);
    results[name].rss.push(r.rss);
  };
  for (let run = 0; run < runs; run++) {
    // The order alternates between runs, so that neither mode always runs on a cold process.
    for (const plain of run % 2 === 0 ? [true, false] : [false, true]) {
      const mode = plain ? "plain" : "encrypted";
      const p = await measure(() => put(a, ca, plain ? "plain=true" : "to=bob"));
      record(`put ${mode}`, p);
      record(`get ${mode} (local)`, await measure(() => get(a, ca, p.value, plain)));
      record(`get ${mode} (from peer)`, await measure(() => get(b, cb, p.value, plain)));
      // Neither daemon keeps the blocks: plain bytes give the same CID every run,
      // and a block B still held would make the next fetch from A a local read.
      await ca.request("DELETE", `/v1/pins/${p.value}`);
      await ca.request("POST", "/v1/ipfs/gc");
      await cb.request("POST", "/v1/ipfs/gc");
    }
  }
  for (const [name, r] of Object.entries(results)) {
    const s = median(r.s);
    const base = results[name.replace("encrypted", "plain")];
    rows.push([
      name,
      formatNumber(s),
      formatNumber(size / MIB / s),
      name.includes("encrypted") ? formatNumber(s / median(base.s)) : "1",
      formatNumber(Math.max(...r.rss)),
    ]);
  }
  console.log(`IPFS, ${size / MIB} MiB, ${runs} run(s), medians (deno task bench:ipfs)`);
  console.log(table(["operation", "s", "MiB/s", "x plain", "peak RSS MiB"], rows));
} finally {
  await a.stop();
  await b.stop();
  await Deno.remove(a.home, { recursive: true });
  await Deno.remove(b.home, { recursive: true });
}
// Both daemons stopped, yet something of the fetch between them (not found
// yet) keeps the event loop alive: end here rather than hang.
Deno.exit(0);
