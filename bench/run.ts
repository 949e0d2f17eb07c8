/**
 * The core benchmark (`deno task bench:core`; the report `deno task bench`
 * runs it too): key derivation from a seed, seal and open of 64-byte
 * messages, and file encryption/decryption through the CLI, each beside a
 * baseline measured in the same run. Prints Markdown tables.
 *
 * Usage: deno task bench:core [--size MiB[,MiB...]] [--runs N] [--skip-files]
 *   --size   file sizes for the file section (default 256,1024)
 *   --runs   timed repetitions per file measurement (default 5; medians are reported)
 *
 * The file section runs `meteor encrypt`/`meteor decrypt` and the `age` 1.1.1
 * CLI (Debian package, installed with apt-get when missing) on the same input
 * with the same X25519 recipient, to /dev/null: age is the baseline (age
 * 1.1.1 predates hybrid recipients; Meteor is also measured with one). Peak
 * memory is GNU time's maximum resident set size (`/usr/bin/time`).
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

/** Peak resident memory of `cmd args` in MiB, through GNU time's %M (KiB). */
async function peakMiB(cmd: string, args: string[]): Promise<number> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "peak %M", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const match = new TextDecoder().decode(out.stderr).match(/peak (\d+)\s*$/);
  if (!out.success || match === null) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return Number(match[1]) / 1024;
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

/**
 * The CLI against age 1.1.1, side by side in this run: each `meteor` row's
 * ratio is its median time over age's (age is the baseline, 1.00x), with
 * the same X25519 recipient and input, to /dev/null; plus the hybrid
 * recipient, and `meteor encrypt` of an empty file (start-up alone).
 */
async function benchFiles(dir: string, sizeMiB: number): Promise<string> {
  const bytes = sizeMiB * MiB;
  const plain = `${dir}/plain`;
  const empty = `${dir}/empty`;
  await writeInput(plain, sizeMiB);
  await Deno.writeFile(empty, new Uint8Array(0));

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

  const gbps = (ms: number) => `${formatNumber(bytes / 1e9 / (ms / 1000))} GB/s`;
  const rows: string[][] = [];
  const measure = async (name: string, cmd: string, args: string[], baseline?: number) => {
    const ms = median(await timeRuns(runs, () => run(cmd, args)));
    const peak = memory ? `${formatNumber(await peakMiB(cmd, args))} MiB` : "n/a";
    const ratio = baseline === undefined ? "n/a" : `${formatNumber(ms / baseline)}x`;
    rows.push([name, fmtMs(ms), gbps(ms), peak, ratio]);
    return ms;
  };
  const direction = async (
    label: string,
    ageArgs: string[],
    meteorCases: [string, string[]][],
  ) => {
    const ageMs = ageCli
      ? await measure(`age 1.1.1 ${label}, X25519 (CLI)`, "age", ageArgs)
      : undefined;
    if (ageMs !== undefined) rows[rows.length - 1][4] = "1.00x (baseline)";
    for (const [name, args] of meteorCases) {
      await measure(`meteor ${label}, ${name} (CLI)`, deno, meteorArgs(args), ageMs);
    }
  };
  await direction("encrypt", ["-r", classicRecipient, "-o", "/dev/null", plain], [
    ["X25519", ["encrypt", "-r", classicRecipient, "-o", "/dev/null", plain]],
    ["age1pq1 hybrid", ["encrypt", "-r", hybridRecipient, "-o", "/dev/null", plain]],
  ]);
  await direction("decrypt", ["-d", "-i", classicKey, "-o", "/dev/null", `${dir}/x25519.age`], [
    ["X25519", ["decrypt", "-i", classicKey, "-o", "/dev/null", `${dir}/x25519.age`]],
    ["age1pq1 hybrid", ["decrypt", "-i", hybridKey, "-o", "/dev/null", `${dir}/hybrid.age`]],
  ]);
  const startMs = median(
    await timeRuns(
      runs,
      () => meteor(["encrypt", "-r", classicRecipient, "-o", "/dev/null", empty]),
    ),
  );
  rows.push([
    "meteor encrypt of an empty file (start-up alone)",
    fmtMs(startMs),
    "n/a",
    "n/a",
    "n/a",
  ]);
  if (!ageCli) console.error("bench: age CLI unavailable; its rows are left out");
  return table(
    [
      `${sizeMiB} MiB file to /dev/null (median of ${runs}; load ${Deno.loadavg()[0].toFixed(1)})`,
      "time",
      "throughput",
      "peak memory",
      "time vs age",
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
