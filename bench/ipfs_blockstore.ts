/**
 * The IPFS plugin's block store, chosen by measurement (`deno task
 * bench:ipfs:blockstore`): blockstore-fs (a file per block, what the plugin
 * uses) against blockstore-level (LevelDB, `compression: false` as its
 * default), in the same run, the order alternating between rounds. Each
 * round puts `--size` MiB of 256 KiB raw blocks (the leaves of a file, the
 * plugin's chunk size) into a fresh store, reads them all back, and measures
 * the disk the store's folder takes (`du -sk`). Medians of `--runs`.
 *
 * Usage: deno task bench:ipfs:blockstore [--size MiB] [--runs N]
 *
 * @module
 */
import { FsBlockstore } from "blockstore-fs";
import { LevelBlockstore } from "blockstore-level";
import { CID } from "multiformats/cid";
import { create } from "multiformats/hashes/digest";
import { parseArgs } from "node:util";
import { CHUNK_BYTES } from "../plugins/ipfs/files.ts";
import { formatNumber, median, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { size: { type: "string", default: "256" }, runs: { type: "string", default: "3" } },
});
const MIB = 1024 * 1024;
const count = Math.ceil((Number(values.size) * MIB) / CHUNK_BYTES);
const runs = Number(values.runs);

/** The part of interface-blockstore both stores implement that the bench uses. */
interface Store {
  open(): Promise<void>;
  close(): Promise<void>;
  put(cid: CID, block: Uint8Array): Promise<unknown>;
  get(cid: CID): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

const STORES: Record<string, (dir: string) => Store> = {
  "blockstore-fs": (dir) => new FsBlockstore(dir) as unknown as Store,
  "blockstore-level": (dir) => new LevelBlockstore(dir) as unknown as Store,
};

/** `count` pseudo-random blocks with their raw CIDs. */
async function makeBlocks(): Promise<{ cid: CID; block: Uint8Array }[]> {
  const out: { cid: CID; block: Uint8Array }[] = [];
  let x = 7;
  for (let i = 0; i < count; i++) {
    const block = new Uint8Array(CHUNK_BYTES);
    const words = new Uint32Array(block.buffer);
    for (let w = 0; w < words.length; w++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[w] = x;
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", block));
    out.push({ cid: CID.createV1(0x55, create(0x12, digest)), block });
  }
  return out;
}

async function diskKiB(dir: string): Promise<number> {
  const { stdout } = await new Deno.Command("du", { args: ["-sk", dir], stdout: "piped" }).output();
  return Number(new TextDecoder().decode(stdout).split("\t")[0]);
}

const blocks = await makeBlocks();
const results: Record<string, { put: number[]; get: number[]; disk: number[] }> = {};
for (let run = 0; run < runs; run++) {
  const names = Object.keys(STORES);
  for (const name of run % 2 === 0 ? names : names.reverse()) {
    const dir = await Deno.makeTempDir({ prefix: "meteor-bench-blockstore-" });
    try {
      const store = STORES[name](dir);
      await store.open();
      let start = performance.now();
      for (const { cid, block } of blocks) await store.put(cid, block);
      const put = (performance.now() - start) / 1000;
      start = performance.now();
      let bytes = 0;
      for (const { cid } of blocks) for await (const piece of store.get(cid)) bytes += piece.length;
      const get = (performance.now() - start) / 1000;
      if (bytes !== count * CHUNK_BYTES) throw new Error(`${name}: read ${bytes} bytes`);
      await store.close();
      results[name] ??= { put: [], get: [], disk: [] };
      results[name].put.push(put);
      results[name].get.push(get);
      results[name].disk.push(await diskKiB(dir));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}
const mib = (count * CHUNK_BYTES) / MIB;
const fs = results["blockstore-fs"];
const rows = Object.entries(results).map(([name, r]) => [
  name,
  formatNumber(mib / median(r.put)),
  formatNumber(mib / median(r.get)),
  formatNumber(median(fs.put) / median(r.put)),
  formatNumber(median(fs.get) / median(r.get)),
  formatNumber(median(r.disk) / 1024),
]);
console.log(
  `IPFS block stores, ${count} blocks of 256 KiB (${mib} MiB), ${runs} run(s), medians`,
);
console.log(
  table(["store", "put MiB/s", "get MiB/s", "put speed x fs", "get speed x fs", "disk MiB"], rows),
);
