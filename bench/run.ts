/**
 * The core benchmark (`deno task bench`): key derivation from a seed, seal
 * and open of 64-byte messages, and file encryption/decryption throughput,
 * each beside a baseline measured in the same run. Prints Markdown tables.
 *
 * Usage: deno task bench [--size MiB] [--runs N] [--skip-files]
 *   --size   file size for the throughput section (default 1024 MiB)
 *   --runs   timed repetitions per file measurement (default 3; medians are reported)
 *
 * The `age` 1.1.1 CLI (Debian package) is installed with apt-get when missing.
 * age 1.1.1 predates hybrid recipients, so it is measured with an X25519
 * recipient; Meteor is measured with both.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import * as typage from "age-encryption";
import { deriveKeys, deriveSeeds, wipeNodeKeys } from "../core/identity/mod.ts";
import { decrypt, encrypt, HybridIdentity, X25519Identity } from "../core/age/mod.ts";
import type { Identity, Recipient } from "../core/age/mod.ts";
import { formatNumber, median, opsPerSecond, table, timeRuns } from "./_stats.ts";
import { benchStartup } from "./startup.ts";

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;
const PROTOTYPE_KEYGEN_MS = 372;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "1024" },
    runs: { type: "string", default: "3" },
    "skip-files": { type: "boolean", default: false },
  },
});
const sizeMiB = Number(values.size);
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

/** Reads `path` in 64 KiB chunks and passes each to `fn`. */
async function eachChunk(path: string, size: number, fn: (chunk: Uint8Array) => void) {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(size);
  while (true) {
    let filled = 0;
    while (filled < size) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    if (filled === 0) return;
    fn(buffer.subarray(0, filled));
    if (filled < size) return;
  }
}

function nonceOf(counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(7, counter);
  return nonce;
}

async function benchFiles(dir: string): Promise<string> {
  const bytes = sizeMiB * MiB;
  const plain = `${dir}/plain`;
  {
    using file = await Deno.create(plain);
    const block = crypto.getRandomValues(new Uint8Array(MiB / 16)).slice();
    const mib = new Uint8Array(MiB);
    for (let i = 0; i < 16; i++) mib.set(block, i * block.length);
    for (let i = 0; i < sizeMiB; i++) {
      mib[0] = i;
      await file.write(mib);
    }
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  const rawSealed = `${dir}/raw.sealed`;
  {
    using out = await Deno.create(rawSealed);
    let counter = 0;
    const parts: Uint8Array[] = [];
    await eachChunk(plain, CHUNK, (chunk) => {
      const c = createCipheriv("chacha20-poly1305", key, nonceOf(counter++), { authTagLength: 16 });
      parts.push(c.update(chunk), c.final(), c.getAuthTag());
    });
    for (const p of parts.splice(0)) await out.write(p);
  }
  const rawEncrypt = async () => {
    let counter = 0;
    await eachChunk(plain, CHUNK, (chunk) => {
      const c = createCipheriv("chacha20-poly1305", key, nonceOf(counter++), { authTagLength: 16 });
      c.update(chunk);
      c.final();
      c.getAuthTag();
    });
  };
  const rawDecrypt = async () => {
    let counter = 0;
    await eachChunk(rawSealed, CHUNK + 16, (sealed) => {
      const d = createDecipheriv("chacha20-poly1305", key, nonceOf(counter++), {
        authTagLength: 16,
      });
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      d.update(sealed.subarray(0, sealed.length - 16));
      d.final();
    });
  };

  const deno = Deno.execPath();
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const meteor = (args: string[]) => run(deno, ["run", "--allow-all", cli, ...args]);
  const hybrid = HybridIdentity.generate();
  const classic = await X25519Identity.generate();
  const hybridKey = `${dir}/hybrid.key`;
  const classicKey = `${dir}/x25519.key`;
  await Deno.writeTextFile(hybridKey, `${hybrid}\n`, { mode: 0o600 });
  await Deno.writeTextFile(classicKey, `${classic}\n`, { mode: 0o600 });
  const hybridRecipient = (await hybrid.recipient()).toString();
  const classicRecipient = classic.recipient().toString();
  await meteor(["encrypt", "-r", hybridRecipient, "-o", `${dir}/hybrid.age`, plain]);
  await meteor(["encrypt", "-r", classicRecipient, "-o", `${dir}/x25519.age`, plain]);

  const gbps = (ms: number) => `${formatNumber(bytes / 1e9 / (ms / 1000))} GB/s`;
  const rows: string[][] = [];
  const measure = async (name: string, fn: () => Promise<void>, baseline?: number) => {
    const ms = median(await timeRuns(runs, fn));
    rows.push([name, fmtMs(ms), gbps(ms), baseline ? `${formatNumber(baseline / ms)}x` : "1.00x"]);
    return ms;
  };
  const rawEnc = await measure("raw native ChaCha20-Poly1305 seal, 64 KiB chunks", rawEncrypt);
  await measure(
    "meteor encrypt -r age1pq1... (CLI)",
    () => meteor(["encrypt", "-r", hybridRecipient, "-o", "/dev/null", plain]),
    rawEnc,
  );
  await measure(
    "meteor encrypt -r age1... X25519 (CLI)",
    () => meteor(["encrypt", "-r", classicRecipient, "-o", "/dev/null", plain]),
    rawEnc,
  );
  const ageCli = await ensureAgeCli();
  if (ageCli) {
    await measure(
      "age 1.1.1 -r age1... X25519 (CLI)",
      () => run("age", ["-r", classicRecipient, "-o", "/dev/null", plain]),
      rawEnc,
    );
  }
  const rawDec = await measure("raw native ChaCha20-Poly1305 open, 64 KiB chunks", rawDecrypt);
  await measure(
    "meteor decrypt, hybrid (CLI)",
    () => meteor(["decrypt", "-i", hybridKey, "-o", "/dev/null", `${dir}/hybrid.age`]),
    rawDec,
  );
  await measure(
    "meteor decrypt, X25519 (CLI)",
    () => meteor(["decrypt", "-i", classicKey, "-o", "/dev/null", `${dir}/x25519.age`]),
    rawDec,
  );
  if (ageCli) {
    await measure(
      "age 1.1.1 -d, X25519 (CLI)",
      () => run("age", ["-d", "-i", classicKey, "-o", "/dev/null", `${dir}/x25519.age`]),
      rawDec,
    );
  } else {
    console.error("bench: age CLI unavailable; its rows are left out");
  }
  return table(
    [`${sizeMiB} MiB file to /dev/null (median of ${runs})`, "time", "throughput", "vs raw"],
    rows,
  );
}

console.log(`# Meteor core benchmark (${new Date().toISOString()}, ${Deno.build.target})\n`);
console.log(await benchKeyDerivation(), "\n");
console.log(await benchMessages(), "\n");
console.log(await benchStartup(), "\n");
if (!values["skip-files"]) {
  const dir = await Deno.makeTempDir({ prefix: "meteor-bench-" });
  try {
    console.log(await benchFiles(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
