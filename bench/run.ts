/**
 * The core benchmark (`deno task bench:core`; the report `deno task bench`
 * runs it too): key derivation from a seed, seal and open of 64-byte
 * messages, and file encryption/decryption through the CLI, each beside a
 * baseline measured in the same run. Prints Markdown tables.
 *
 * Usage: deno task bench:core [--size MiB[,MiB...]] [--runs N] [--skip-files]
 *   --size   file sizes for the file section (default 256,1024)
 *   --runs   timed rounds of the file section (default 5, after a warm-up round; medians reported)
 *
 * The file section runs `meteor encrypt`/`meteor decrypt` and the `age` 1.1.1
 * CLI (Debian package, installed with apt-get when missing) on the same input
 * with the same X25519 recipient, to /dev/null, in interleaved rounds (each
 * round runs every command once): age is the baseline (age 1.1.1 predates
 * hybrid recipients; Meteor is also measured with one). CPU time and peak
 * memory come from GNU time (`/usr/bin/time`: user + system, maximum resident
 * set size).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import * as typage from "age-encryption";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { openInto, sealInto } from "../core/crypto/aead.ts";
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from "../core/age/_chunk.ts";
import { deriveKeys, deriveSeeds, wipeNodeKeys } from "../core/identity/mod.ts";
import { decrypt, encrypt, HybridIdentity, X25519Identity } from "../core/age/mod.ts";
import type { Identity, Recipient } from "../core/age/mod.ts";
import { formatNumber, median, opsPerSecond, table, timeRuns } from "./_stats.ts";
import { benchStartup } from "./startup.ts";

const MiB = 1024 * 1024;
const PROTOTYPE_KEYGEN_MS = 372;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "256,1024" },
    runs: { type: "string", default: "5" },
    "skip-files": { type: "boolean", default: false },
  },
});
const sizesMiB = values.size.split(",").map(Number);
const runs = Number(values.runs);

function fmtMs(ms: number): string {
  return `${formatNumber(ms)} ms`;
}

async function benchKeyDerivation(): Promise<string> {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const meteor = median(await timeRuns(20, async () => wipeNodeKeys(await deriveKeys(seed))));
  // Baseline: the same derivation with the pure-JS @noble implementations.
  const noble = median(
    await timeRuns(5, () => {
      const seeds = deriveSeeds(seed);
      ed25519.getPublicKey(seeds.ed25519);
      ml_kem768_x25519.keygen(seeds.xwing);
      ml_dsa65.keygen(seeds.mldsa65);
    }),
  );
  return table(["key derivation from a 32-byte seed", "median", "vs Meteor"], [
    ["Meteor deriveKeys (native WebCrypto)", fmtMs(meteor), "1.00x"],
    ["same keys with @noble (pure JS, same run)", fmtMs(noble), `${formatNumber(noble / meteor)}x`],
    [
      "prototype Meteor-NC (advertised)",
      fmtMs(PROTOTYPE_KEYGEN_MS),
      `${formatNumber(PROTOTYPE_KEYGEN_MS / meteor)}x`,
    ],
  ]);
}

async function benchMessages(): Promise<string> {
  const message = crypto.getRandomValues(new Uint8Array(64));
  const rows: string[][] = [];
  const cases: [string, Identity, Recipient][] = [];
  const hybrid = HybridIdentity.generate();
  cases.push(["mlkem768x25519", hybrid, await hybrid.recipient()]);
  const classic = await X25519Identity.generate();
  cases.push(["X25519", classic, classic.recipient()]);
  for (const [kind, identity, recipient] of cases) {
    const sealed = await encrypt(message, [recipient]);
    const seal = await opsPerSecond(5, 40, () => encrypt(message, [recipient]));
    const open = await opsPerSecond(5, 40, () => decrypt(sealed, [identity]));
    const ageIdentity = kind === "X25519"
      ? classic.toString()
      : await typage.generateHybridIdentity();
    const ageRecipient = await typage.identityToRecipient(ageIdentity);
    const encrypter = new typage.Encrypter();
    encrypter.addRecipient(ageRecipient);
    const decrypter = new typage.Decrypter();
    decrypter.addIdentity(ageIdentity);
    const ageSealed = await encrypter.encrypt(message);
    const typageSeal = await opsPerSecond(5, 40, () => encrypter.encrypt(message));
    const typageOpen = await opsPerSecond(5, 40, () => decrypter.decrypt(ageSealed));
    rows.push([
      kind,
      formatNumber(seal),
      formatNumber(open),
      formatNumber(typageSeal),
      formatNumber(typageOpen),
      `${formatNumber(seal / typageSeal)}x / ${formatNumber(open / typageOpen)}x`,
    ]);
  }
  return table([
    "64-byte message (age format)",
    "Meteor seal/s",
    "Meteor open/s",
    "typage seal/s",
    "typage open/s",
    "Meteor vs typage (seal / open)",
  ], rows);
}

/**
 * One 64 KiB STREAM chunk sealed and opened into preallocated outputs:
 * node:crypto (what core/crypto/aead.ts uses; Deno's Cipheriv.update()
 * still allocates a 64 KiB Buffer per call) against @noble/ciphers'
 * chacha20poly1305 writing into the caller's output (no allocation).
 */
async function benchChunks(): Promise<string> {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = new Uint8Array(12);
  const plaintext = crypto.getRandomValues(new Uint8Array(CHUNK_SIZE));
  const sealed = new Uint8Array(SEALED_CHUNK_SIZE);
  const opened = new Uint8Array(CHUNK_SIZE);
  sealInto(sealed, key, nonce, plaintext);
  const rate = (op: () => unknown) => opsPerSecond(7, 256, op);
  const nodeSeal = await rate(() => sealInto(sealed, key, nonce, plaintext));
  const nodeOpen = await rate(() => openInto(opened, key, nonce, sealed));
  const nobleSeal = await rate(() => chacha20poly1305(key, nonce).encrypt(plaintext, sealed));
  const nobleOpen = await rate(() => chacha20poly1305(key, nonce).decrypt(sealed, opened));
  const row = (name: string, seal: number, open: number) => [
    name,
    formatNumber(seal),
    formatNumber(open),
    `${formatNumber(nodeSeal / seal)}x / ${formatNumber(nodeOpen / open)}x`,
  ];
  return table(["64 KiB chunk into a reused output", "seal/s", "open/s", "time vs node:crypto"], [
    row("node:crypto (aead.ts sealInto/openInto, baseline)", nodeSeal, nodeOpen),
    row("@noble/ciphers chacha20poly1305, same run", nobleSeal, nobleOpen),
  ]);
}

async function ensureAgeCli(): Promise<boolean> {
  const probe = async () => {
    try {
      const out = await new Deno.Command("age", { args: ["--version"], stdout: "piped" }).output();
      return out.success;
    } catch {
      return false;
    }
  };
  if (await probe()) return true;
  console.error("bench: age CLI missing; installing the Debian package (apt-get install age)");
  try {
    await new Deno.Command("apt-get", { args: ["install", "-y", "-qq", "age"] }).output();
  } catch {
    // apt-get absent: reported below.
  }
  return await probe();
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Whether GNU time (/usr/bin/time, Debian package `time`) is here to measure peak memory. */
async function hasGnuTime(): Promise<boolean> {
  try {
    return (await new Deno.Command("/usr/bin/time", { args: ["-f", "%M", "true"], stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/** One timed run: wall-clock milliseconds, CPU seconds (user + system) and peak memory in MiB. */
interface Timed {
  ms: number;
  cpu: number;
  peakMiB: number;
}

/**
 * Runs `cmd args` once, output to nothing; with GNU time (`memory`) under
 * /usr/bin/time for its CPU time and maximum resident set size (%U %S %M).
 */
async function timed(cmd: string, args: string[], memory: boolean): Promise<Timed> {
  const [program, argv] = memory
    ? ["/usr/bin/time", ["-f", "timed %U %S %M", cmd, ...args]]
    : [cmd, args];
  const start = performance.now();
  const out = await new Deno.Command(program, { args: argv, stdout: "null", stderr: "piped" })
    .output();
  const ms = performance.now() - start;
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${stderr.slice(-2000)}`);
  const match = stderr.match(/timed ([\d.]+) ([\d.]+) (\d+)\s*$/);
  if (memory && match === null) throw new Error(`${cmd}: no GNU time report`);
  return match === null ? { ms, cpu: NaN, peakMiB: NaN } : {
    ms,
    cpu: Number(match[1]) + Number(match[2]),
    peakMiB: Number(match[3]) / 1024,
  };
}

/** Writes `sizeMiB` MiB of incompressible bytes to `path`. */
async function writeInput(path: string, sizeMiB: number): Promise<void> {
  using file = await Deno.create(path);
  const mib = new Uint8Array(MiB);
  for (let i = 0; i < sizeMiB; i++) {
    for (let at = 0; at < MiB; at += 65536) crypto.getRandomValues(mib.subarray(at, at + 65536));
    await file.write(mib);
  }
}

/** A command the file table times: its row name, what it runs, and the row it is compared with. */
interface FileCase {
  name: string;
  cmd: string;
  args: string[];
  baseline?: string;
}

/**
 * The CLI against age 1.1.1, side by side in this run: every round runs each
 * case once, one after another (age, then Meteor with the same X25519
 * recipient and input, then Meteor with a hybrid recipient), so a change in
 * the machine's load hits them alike. Each row gives the median over the
 * rounds (after one warm-up round) of wall-clock time and CPU time, the
 * largest peak memory, and its median time over age's (age is the baseline,
 * 1.00x). Output goes to /dev/null. `meteor encrypt` of an empty file gives
 * the start-up alone, beside an empty `deno run`.
 */
async function benchFiles(dir: string, sizeMiB: number): Promise<string> {
  const bytes = sizeMiB * MiB;
  const plain = `${dir}/plain`;
  const empty = `${dir}/empty`;
  const emptyScript = `${dir}/empty.ts`;
  await writeInput(plain, sizeMiB);
  await Deno.writeFile(empty, new Uint8Array(0));
  await Deno.writeTextFile(emptyScript, "");

  const deno = Deno.execPath();
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const meteorArgs = (args: string[]) => ["run", "--allow-all", cli, ...args];
  const meteor = (args: string[]) => run(deno, meteorArgs(args));
  const hybrid = HybridIdentity.generate();
  const classic = await X25519Identity.generate();
  const hybridKey = `${dir}/hybrid.key`;
  const classicKey = `${dir}/x25519.key`;
  await Deno.writeTextFile(hybridKey, `${hybrid}\n`, { mode: 0o600 });
  await Deno.writeTextFile(classicKey, `${classic}\n`, { mode: 0o600 });
  const hybridRecipient = (await hybrid.recipient()).toString();
  const classicRecipient = classic.recipient().toString();
  hybrid.dispose();
  classic.dispose();
  await meteor(["encrypt", "-r", hybridRecipient, "-o", `${dir}/hybrid.age`, plain]);
  const ageCli = await ensureAgeCli();
  // The X25519 file comes from age when it is here: Meteor decrypts what age wrote.
  if (ageCli) await run("age", ["-r", classicRecipient, "-o", `${dir}/x25519.age`, plain]);
  else await meteor(["encrypt", "-r", classicRecipient, "-o", `${dir}/x25519.age`, plain]);
  const memory = await hasGnuTime();
  if (!memory) console.error("bench: /usr/bin/time missing (apt-get install time); no peak memory");

  const cases: FileCase[] = [];
  const direction = (label: string, ageArgs: string[], meteorCases: [string, string[]][]) => {
    const age = `age 1.1.1 ${label}, X25519 (CLI)`;
    if (ageCli) cases.push({ name: age, cmd: "age", args: ageArgs });
    for (const [name, args] of meteorCases) {
      cases.push({
        name: `meteor ${label}, ${name} (CLI)`,
        cmd: deno,
        args: meteorArgs(args),
        baseline: ageCli ? age : undefined,
      });
    }
  };
  direction("encrypt", ["-r", classicRecipient, "-o", "/dev/null", plain], [
    ["X25519", ["encrypt", "-r", classicRecipient, "-o", "/dev/null", plain]],
    ["age1pq1 hybrid", ["encrypt", "-r", hybridRecipient, "-o", "/dev/null", plain]],
  ]);
  direction("decrypt", ["-d", "-i", classicKey, "-o", "/dev/null", `${dir}/x25519.age`], [
    ["X25519", ["decrypt", "-i", classicKey, "-o", "/dev/null", `${dir}/x25519.age`]],
    ["age1pq1 hybrid", ["decrypt", "-i", hybridKey, "-o", "/dev/null", `${dir}/hybrid.age`]],
  ]);
  const emptyRun = "empty `deno run` (start-up baseline)";
  cases.push({ name: emptyRun, cmd: deno, args: ["run", "--allow-all", emptyScript] });
  cases.push({
    name: "meteor encrypt of an empty file (start-up alone)",
    cmd: deno,
    args: meteorArgs(["encrypt", "-r", classicRecipient, "-o", "/dev/null", empty]),
    baseline: emptyRun,
  });

  const loadBefore = Deno.loadavg()[0];
  const results = new Map<string, Timed[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round <= runs; round++) {
    for (const c of cases) {
      const result = await timed(c.cmd, c.args, memory);
      if (round > 0) results.get(c.name)!.push(result); // Round 0 warms the caches up.
    }
  }
  const loadAfter = Deno.loadavg()[0];
  const medianMs = (name: string) => median(results.get(name)!.map((r) => r.ms));
  const rows = cases.map((c) => {
    const all = results.get(c.name)!;
    const ms = medianMs(c.name);
    const cpu = median(all.map((r) => r.cpu));
    const peak = Math.max(...all.map((r) => r.peakMiB));
    const perSecond = c.args.includes(empty) || c.args.includes(emptyScript)
      ? "n/a"
      : `${formatNumber(bytes / 1e9 / (ms / 1000))} GB/s`;
    const ratio = c.baseline === undefined
      ? (cases.some((other) => other.baseline === c.name) ? "1.00x (baseline)" : "n/a")
      : `${formatNumber(ms / medianMs(c.baseline))}x`;
    return [
      c.name,
      fmtMs(ms),
      Number.isNaN(cpu) ? "n/a" : `${formatNumber(cpu)} s`,
      perSecond,
      Number.isNaN(peak) ? "n/a" : `${formatNumber(peak)} MiB`,
      ratio,
    ];
  });
  if (!ageCli) console.error("bench: age CLI unavailable; its rows are left out");
  return table(
    [
      `${sizeMiB} MiB file to /dev/null (${runs} interleaved rounds; load ${
        loadBefore.toFixed(1)
      } to ${loadAfter.toFixed(1)})`,
      "median time",
      "median CPU",
      "throughput",
      "peak memory",
      "time vs baseline",
    ],
    rows,
  );
}

console.log(`# Meteor core benchmark (${new Date().toISOString()}, ${Deno.build.target})\n`);
console.log(await benchKeyDerivation(), "\n");
console.log(await benchMessages(), "\n");
console.log(await benchChunks(), "\n");
console.log(await benchStartup(), "\n");
if (!values["skip-files"]) {
  for (const sizeMiB of sizesMiB) {
    const dir = await Deno.makeTempDir({ prefix: "meteor-bench-" });
    try {
      console.log(await benchFiles(dir, sizeMiB), "\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}
