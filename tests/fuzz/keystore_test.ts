/**
 * Adversarial input for core/keystore.ts: random text, random JSON shaped
 * like a keystore, every truncation and every flip of plain and encrypted
 * keystores, and damaged keystore files on disk. Failures are E_MALFORMED,
 * E_BAD_PASSPHRASE, E_NOT_INITIALIZED or E_IO, and no error message ever
 * contains the seed or the passphrase.
 */
import assert from "node:assert/strict";
import { toHex, utf8 } from "../../core/bytes.ts";
import type { ErrorCode } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import {
  decodeKeystore,
  encodeKeystore,
  isKeystoreEncrypted,
  MAX_KEYSTORE_BYTES,
  readSeed,
  SCRYPT_MIN_LOG_N,
} from "../../core/keystore.ts";
import { assertCode, assertNoSecret, expectCode, outcome, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const SEED = new Uint8Array(32).map((_, i) => 0xa0 + i);
const PASSPHRASE = "hunter2 but longer";
const CODES: ErrorCode[] = ["E_MALFORMED", "E_BAD_PASSPHRASE"];
const SECRETS = [toHex(SEED), PASSPHRASE];

let texts: Promise<{ plain: string; encrypted: string }> | undefined;

/** A plain and a cheaply encrypted keystore of SEED, made once. */
function keystores() {
  texts ??= (async () => ({
    plain: await encodeKeystore(SEED),
    encrypted: await encodeKeystore(SEED, { passphrase: PASSPHRASE, logN: SCRYPT_MIN_LOG_N }),
  }))();
  return texts;
}

/** Decodes and requires a refusal with an expected code that reveals no secret. */
async function expectRefused(text: string, what: string, passphrase = PASSPHRASE) {
  const err = await expectCode(() => decodeKeystore(text, passphrase), CODES, what);
  assertNoSecret(err, SECRETS, what);
}

/** A random JSON value, `depth` levels deep at most, often of a keystore's shape. */
function randomValue(prng: Prng, depth: number): unknown {
  const hex = (n: number) => prng.string(n, "0123456789abcdef");
  switch (prng.int(depth > 0 ? 9 : 7)) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.pick([0, 1, 2, -1, 1.5, 1e308, SCRYPT_MIN_LOG_N - 1, 21, 8]);
    case 3:
      return hex(prng.pick([0, 24, 32, 63, 64, 65, 96]));
    case 4:
      return prng.pick(["plain", "scrypt-chacha20-poly1305", "", "PLAIN"]);
    case 5:
      return hex(64).toUpperCase();
    case 6:
      return prng.string(prng.range(0, 20), 'xyz"\\\u0000é');
    case 7:
      return Array.from({ length: prng.range(0, 3) }, () => randomValue(prng, depth - 1));
    default: {
      const keys = [
        "version",
        "type",
        "seed",
        "scrypt",
        "nonce",
        "ciphertext",
        "logN",
        "r",
        "p",
        "salt",
        "extra",
      ];
      const out: Record<string, unknown> = {};
      for (let i = prng.range(0, 7); i > 0; i--) {
        out[prng.pick(keys)] = randomValue(prng, depth - 1);
      }
      return out;
    }
  }
}

Deno.test("decodeKeystore() refuses random text and random keystore-shaped JSON", async () => {
  const prng = new Prng("keystore random");
  const inputs: string[] = ["", "{", "null", "[]", "1", '"plain"', "{}", '{"version":1}'];
  for (let i = 0; i < 100; i++) {
    inputs.push(new TextDecoder().decode(prng.bytes(prng.range(0, 200))));
  }
  for (let i = 0; i < 400; i++) inputs.push(JSON.stringify(randomValue(prng, 3)));
  // Near misses: one field of a valid keystore replaced by a random value.
  const { plain, encrypted } = await keystores();
  for (let i = 0; i < 300; i++) {
    const record = JSON.parse(prng.pick([plain, encrypted]));
    const target = prng.chance(0.3) && record.scrypt ? record.scrypt : record;
    const key = prng.pick(Object.keys(target));
    if (prng.chance(0.2)) delete target[key];
    else target[key] = randomValue(prng, 1);
    // A huge work factor would only cost time, which the bound on logN already refuses.
    inputs.push(JSON.stringify(record));
  }
  for (const [i, text] of inputs.entries()) {
    const what = `input ${i} ${JSON.stringify(text).slice(0, 120)} ${seedNote(prng.seed)}`;
    const result = await outcome(() => decodeKeystore(text, PASSPHRASE), what);
    if (result.ok) {
      // A replaced plain seed no longer matches its "id": only the original seed decodes.
      assert.equal(toHex(result.value), toHex(SEED), `${what}: decoded to another seed`);
      continue;
    }
    assertCode(result.error, CODES, what);
    assertNoSecret(result.error, SECRETS, what);
  }
  // isKeystoreEncrypted() shares the parser: the same refusals.
  for (const text of inputs.slice(0, 50)) {
    const r = await outcome(() => isKeystoreEncrypted(text), "isKeystoreEncrypted");
    if (!r.ok) assertCode(r.error, ["E_MALFORMED"], `isKeystoreEncrypted(${JSON.stringify(text)})`);
  }
});

Deno.test("decodeKeystore() refuses every truncation of a plain or encrypted keystore", async () => {
  const { plain, encrypted } = await keystores();
  for (const text of [plain, encrypted]) {
    for (let n = 0; n < text.length; n++) await expectRefused(text.slice(0, n), `first ${n} chars`);
  }
});

Deno.test("decodeKeystore() refuses every flip of an encrypted keystore", async () => {
  const prng = new Prng("keystore flips");
  const { encrypted } = await keystores();
  const bytes = utf8(encrypted);
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0x01, prng.nonZeroByte()]) {
      const out = bytes.slice();
      out[i] ^= mask;
      const text = new TextDecoder().decode(out);
      await expectRefused(text, `char ${i} ^ 0x${mask.toString(16)} ${seedNote(prng.seed)}`);
    }
  }
  // Wrong, empty, missing and look-alike passphrases.
  const nfd = "e\u0301"; // NFC-normalised, so "é" (NFC) and "e\u0301" (NFD) open the same keystore.
  for (const p of ["", "hunter2", PASSPHRASE + " ", PASSPHRASE.toUpperCase(), nfd]) {
    await expectRefused(encrypted, `passphrase ${JSON.stringify(p)}`, p);
  }
  const err = await expectCode(() => decodeKeystore(encrypted), ["E_BAD_PASSPHRASE"], "none");
  assertNoSecret(err, SECRETS, "no passphrase");
});

// Regression: a plain keystore once had no check, so a flipped digit became another identity.
Deno.test(
  "decodeKeystore() detects a flipped hex digit in a plain keystore's seed",
  async () => {
    const { plain } = await keystores();
    const at = plain.indexOf('"seed":"') + 8;
    for (let i = at; i < at + 64; i++) {
      const c = plain[i] === "0" ? "1" : "0";
      const text = plain.slice(0, i) + c + plain.slice(i + 1);
      await expectCode(() => decodeKeystore(text), ["E_MALFORMED"], `seed digit ${i - at}`);
    }
  },
);

Deno.test("readSeed() refuses damaged keystore files with stable codes", async () => {
  const home = await Deno.makeTempDir({ prefix: "meteor-fuzz-keystore-" });
  const path = homePaths(home).keystore;
  try {
    const { plain, encrypted } = await keystores();
    await expectCode(() => readSeed(home), ["E_NOT_INITIALIZED"], "missing");
    const files: [string, Uint8Array, ErrorCode[]][] = [
      ["empty", new Uint8Array(0), ["E_MALFORMED"]],
      ["truncated", utf8(encrypted.slice(0, 100)), ["E_MALFORMED"]],
      ["not UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), ["E_MALFORMED"]],
      ["NULs", new Uint8Array(100), ["E_MALFORMED"]],
      ["over the size bound", utf8(plain + " ".repeat(MAX_KEYSTORE_BYTES)), ["E_MALFORMED"]],
      ["encrypted, wrong passphrase", utf8(encrypted), ["E_BAD_PASSPHRASE"]],
    ];
    for (const [name, bytes, codes] of files) {
      // Owner-only, as meteor init writes it: a world-readable keystore is refused before parsing.
      await Deno.writeFile(path, bytes, { mode: 0o600 });
      const err = await expectCode(() => readSeed(home, "wrong"), codes, name);
      assertNoSecret(err, SECRETS, name);
    }
    await Deno.remove(path);
    // An endless device behind a symlink is refused: a keystore is a regular file.
    if (Deno.build.os !== "windows") {
      await Deno.symlink("/dev/zero", path);
      await expectCode(() => readSeed(home), ["E_IO"], "/dev/zero");
      await Deno.remove(path);
    }
    await Deno.writeTextFile(path, plain, { mode: 0o600 });
    assert.deepEqual(await readSeed(home), SEED);
    await Deno.writeTextFile(path, "\ufeff" + plain, { mode: 0o600 }); // A byte order mark is tolerated.
    assert.deepEqual(await readSeed(home), SEED);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

// Regression: readBoundedFile once leaked Deno's raw IsADirectory error.
Deno.test(
  "readSeed() refuses a keystore path that is a directory with a MeteorError",
  async () => {
    const home = await Deno.makeTempDir({ prefix: "meteor-fuzz-keystore-" });
    try {
      await Deno.mkdir(homePaths(home).keystore);
      await expectCode(() => readSeed(home), ["E_IO", "E_MALFORMED"], "directory");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);

// Regression: readBoundedFile once opened a FIFO, which blocks until a writer appears.
Deno.test(
  "readSeed() refuses a keystore path that is a FIFO instead of waiting forever",
  async () => {
    if (Deno.build.os === "windows") return;
    const home = await Deno.makeTempDir({ prefix: "meteor-fuzz-keystore-" });
    const path = homePaths(home).keystore;
    try {
      const mkfifo = await new Deno.Command("mkfifo", { args: [path] }).output();
      assert.ok(mkfifo.success, "mkfifo");
      let settled = false;
      const reading = outcome(() => readSeed(home), "FIFO keystore", 30_000)
        .finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const hung = !settled;
      // Release the blocked open (a writer that closes at once), so the test ends cleanly.
      if (hung) (await Deno.open(path, { write: true })).close();
      const result = await reading;
      assert.ok(!hung, "readSeed() was still waiting on the FIFO after 500 ms");
      if (!result.ok) assertCode(result.error, ["E_IO", "E_MALFORMED"], "FIFO keystore");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);
