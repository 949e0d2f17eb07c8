/**
 * Peak memory of `meteor put` and `meteor get` by file size (`deno task
 * bench:ipfs:rss`): one real `meteor daemon` process (ipfs plugin, embedded
 * Helia, 127.0.0.1) and the CLI as separate processes, so that each one's
 * peak RSS is its own. For each size, a pseudo-random file is put (encrypted
 * to the node) and got back to a file, and the table shows the CLI's peak
 * RSS (/usr/bin/time %M) and the daemon's peak during that command (VmHWM
 * in /proc, reset before each with clear_refs 5). Linux only.
 *
 * Usage: deno task bench:ipfs:rss [--sizes MiB,MiB,...]
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { parseArgs } from "node:util";
import { freePorts } from "../tests/_cli.ts";
import { formatNumber, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { sizes: { type: "string", default: "256,1024" } },
});
const MIB = 1024 * 1024;
const ROOT = fromFileUrl(new URL("..", import.meta.url));
const CLI = [Deno.execPath(), "run", "--allow-all", `${ROOT}cli.ts`];
const sizes = values.sizes.split(",").map((s) => Number(s) * MIB);

/** Writes `size` pseudo-random bytes (xorshift32, 1 MiB at a time) to `path`. */
async function writeInput(path: string, size: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const piece = new Uint8Array(MIB);
  const words = new Uint32Array(piece.buffer);
  let x = 1;
  for (let left = size; left > 0; left -= MIB) {
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    const part = piece.subarray(0, Math.min(MIB, left));
    for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
  }
}

/** The peak RSS of process `pid` since the last reset, in MiB. */
async function peakOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Runs `meteor ARGS` under /usr/bin/time; resolves to its stdout, seconds and peak RSS (MiB). */
async function meteor(args: string[]): Promise<{ out: string; s: number; rss: number }> {
  const start = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "maxrss-kb=%M", ...CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const s = (performance.now() - start) / 1000;
  const err = new TextDecoder().decode(stderr);
  if (code !== 0) throw new Error(`meteor ${args[0]} failed: ${err}`);
  const rss = Number(/maxrss-kb=(\d+)/.exec(err)![1]) / 1024;
  return { out: new TextDecoder().decode(stdout), s, rss };
}

const home = await Deno.makeTempDir({ prefix: "meteor-bench-ipfs-rss-" });
const [api, tcp] = freePorts(2);
await Deno.writeTextFile(
  `${home}/config.json`,
  JSON.stringify({
    version: 1,
    api: { host: "127.0.0.1", port: api },
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`], bootstrap: [] },
    plugins: ["p2p", "ipfs"],
  }),
);
const daemon = new Deno.Command(CLI[0], {
  args: [...CLI.slice(1), "daemon", "--home", home, "--json", "--log-level", "warn"],
  stdin: "null",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const lines = daemon.stdout.pipeThrough(new TextDecoderStream()).getReader();
try {
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("Cannot start the daemon");
    text += value;
  }
  (async () => {
    while (!(await lines.read()).done);
  })().catch(() => {});
  const rows: string[][] = [];
  for (const size of sizes) {
    const input = `${home}/in-${size}.bin`;
    const output = `${home}/out-${size}.bin`;
    await writeInput(input, size);
    await Deno.writeFile(`/proc/${daemon.pid}/clear_refs`, new TextEncoder().encode("5"));
    const put = await meteor(["put", "--home", home, "--json", input]);
    const putDaemon = await peakOf(daemon.pid);
    const { cid } = JSON.parse(put.out);
    await Deno.writeFile(`/proc/${daemon.pid}/clear_refs`, new TextEncoder().encode("5"));
    const get = await meteor(["get", "--home", home, cid, "-o", output]);
    const getDaemon = await peakOf(daemon.pid);
    if ((await Deno.stat(output)).size !== size) throw new Error("get: wrong size");
    const mib = String(size / MIB);
    for (const [op, r, daemonPeak] of [["put", put, putDaemon], ["get", get, getDaemon]] as const) {
      const row = [
        `${op} ${mib} MiB`,
        formatNumber(r.s),
        formatNumber(r.rss),
        formatNumber(daemonPeak),
      ];
      rows.push(row);
      console.error(row.join("  ")); // As it goes: a 1 GiB round takes minutes on a loaded machine.
    }
    await meteor(["unpin", "--home", home, cid]);
    await meteor(["gc", "--home", home]);
    await Deno.remove(input);
    await Deno.remove(output);
  }
  console.log("IPFS peak RSS by file size, encrypted (deno task bench:ipfs:rss)");
  console.log(table(["command", "s", "CLI peak RSS MiB", "daemon peak RSS MiB"], rows));
} finally {
  daemon.kill("SIGTERM");
  await daemon.status;
  await Deno.remove(home, { recursive: true });
}
