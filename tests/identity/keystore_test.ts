import assert from "node:assert/strict";
import { toHex } from "../../core/bytes.ts";
import { type ErrorCode, isMeteorError } from "../../core/errors.ts";
import { deriveKeys, formatMeteorId } from "../../core/identity/mod.ts";
import {
  decodeKeystore,
  encodeKeystore,
  exposedKeystore,
  isKeystoreEncrypted,
  keystoreNeedsPassphrase,
  loadNodeKeys,
  readSeed,
  SCRYPT_DEFAULT_LOG_N,
  writeKeystore,
} from "../../core/keystore.ts";
import { writeSecretFile } from "../../core/secret_file.ts";
import { withTempDir } from "../_temp.ts";

const SEED = new Uint8Array(32).map((_, i) => i * 7);
/** Cheap scrypt for tests; the default cost is exercised once below. */
const FAST = { logN: 10 };
const IS_POSIX = Deno.build.os !== "windows";

async function assertCode(promise: Promise<unknown>, code: ErrorCode, message?: string) {
  await assert.rejects(promise, (err) => isMeteorError(err, code), message);
}

Deno.test("writeKeystore() creates the home 0700 and keystore 0600, readSeed() reads it", async () => {
  await withTempDir(async (dir) => {
    const home = `${dir}/a/b`;
    await writeKeystore(home, SEED);
    assert.deepEqual(await readSeed(home), SEED);
    if (IS_POSIX) {
      assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(`${home}/keystore.json`)).mode! & 0o777, 0o600);
    }
    assert.deepEqual([...Deno.readDirSync(home)].map((e) => e.name), ["keystore.json"]);
  });
});

Deno.test("writeKeystore() refuses to overwrite with E_EXISTS unless forced", async () => {
  await withTempDir(async (dir) => {
    await writeKeystore(dir, SEED);
    const other = new Uint8Array(32).fill(1);
    await assertCode(writeKeystore(dir, other), "E_EXISTS");
    assert.deepEqual(await readSeed(dir), SEED);
    await writeKeystore(dir, other, { force: true });
    assert.deepEqual(await readSeed(dir), other);
    if (IS_POSIX) assert.equal((await Deno.stat(`${dir}/keystore.json`)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["keystore.json"]);
  });
});

Deno.test("encodeKeystore() without a passphrase stores the seed and its MeteorID", async () => {
  const json = JSON.parse(await encodeKeystore(SEED));
  assert.deepEqual(Object.keys(json), ["version", "type", "seed", "id"]);
  assert.equal(json.seed, toHex(SEED));
  assert.equal(json.id, formatMeteorId((await deriveKeys(SEED)).meteorId));
  assert.deepEqual(await decodeKeystore(JSON.stringify(json)), SEED);
});

Deno.test("encodeKeystore() with a passphrase round-trips and hides the seed", async () => {
  for (const passphrase of ["correct horse battery staple", "\u00e9t\u00e9", "x"]) {
    const text = await encodeKeystore(SEED, { passphrase, ...FAST });
    assert.ok(isKeystoreEncrypted(text));
    assert.ok(!text.includes(toHex(SEED).slice(0, 16))); // no trace of the seed
    assert.deepEqual(await decodeKeystore(text, passphrase), SEED);
  }
});

Deno.test("decodeKeystore() treats NFC and NFD spellings of a passphrase alike", async () => {
  const text = await encodeKeystore(SEED, { passphrase: "\u00e9t\u00e9", ...FAST });
  assert.deepEqual(await decodeKeystore(text, "e\u0301te\u0301"), SEED);
});

Deno.test("encodeKeystore() uses a fresh salt and nonce on every write", async () => {
  const a = JSON.parse(await encodeKeystore(SEED, { passphrase: "pw", ...FAST }));
  const b = JSON.parse(await encodeKeystore(SEED, { passphrase: "pw", ...FAST }));
  assert.notEqual(a.scrypt.salt, b.scrypt.salt);
  assert.notEqual(a.nonce, b.nonce);
  assert.notEqual(a.ciphertext, b.ciphertext);
});

Deno.test("encodeKeystore() defaults to memory-hard scrypt N = 2^17, r = 8", async () => {
  const text = await encodeKeystore(SEED, { passphrase: "pw" });
  const json = JSON.parse(text);
  assert.deepEqual([json.scrypt.logN, json.scrypt.r, json.scrypt.p], [SCRYPT_DEFAULT_LOG_N, 8, 1]);
  assert.equal(SCRYPT_DEFAULT_LOG_N, 17);
  assert.deepEqual(await decodeKeystore(text, "pw"), SEED);
});

Deno.test("decodeKeystore() fails with E_BAD_PASSPHRASE: wrong, missing, empty", async () => {
  const text = await encodeKeystore(SEED, { passphrase: "right", ...FAST });
  await assertCode(decodeKeystore(text, "wrong"), "E_BAD_PASSPHRASE", "wrong");
  await assertCode(decodeKeystore(text, "right "), "E_BAD_PASSPHRASE", "trailing space");
  await assertCode(decodeKeystore(text), "E_BAD_PASSPHRASE", "missing");
  await assertCode(decodeKeystore(text, ""), "E_BAD_PASSPHRASE", "empty");
  await assert.rejects(
    encodeKeystore(SEED, { passphrase: "" }),
    (err) => isMeteorError(err, "E_BAD_PASSPHRASE"),
  );
});

Deno.test("decodeKeystore() detects a corrupted ciphertext, nonce or salt", async () => {
  const text = await encodeKeystore(SEED, { passphrase: "pw", ...FAST });
  const flip = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
  for (const field of ["ciphertext", "nonce", "salt"]) {
    const json = JSON.parse(text);
    if (field === "salt") json.scrypt.salt = flip(json.scrypt.salt);
    else json[field] = flip(json[field]);
    await assertCode(decodeKeystore(JSON.stringify(json), "pw"), "E_BAD_PASSPHRASE", field);
  }
});

Deno.test("decodeKeystore() rejects truncated and malformed keystores with E_MALFORMED", async () => {
  const plain = await encodeKeystore(SEED);
  const encrypted = await encodeKeystore(SEED, { passphrase: "pw", ...FAST });
  const otherId = JSON.parse(await encodeKeystore(new Uint8Array(32))).id;
  const edit = (text: string, change: (json: Record<string, unknown>) => void) => {
    const json = JSON.parse(text);
    change(json);
    return JSON.stringify(json);
  };
  const cases: [string, string][] = [
    ["empty", ""],
    ["truncated plain", plain.slice(0, plain.length - 1)],
    ["truncated encrypted", encrypted.slice(0, encrypted.length / 2)],
    ["not an object", "[1]"],
    ["version 2", edit(plain, (j) => (j.version = 2))],
    ["unknown type", edit(plain, (j) => (j.type = "rot13"))],
    ["seed 31 bytes", edit(plain, (j) => (j.seed = (j.seed as string).slice(2)))],
    ["seed 33 bytes", edit(plain, (j) => (j.seed = (j.seed as string) + "00"))],
    ["seed upper-case hex", edit(plain, (j) => (j.seed = "AB" + (j.seed as string).slice(2)))],
    ["extra field", edit(plain, (j) => (j.note = "x"))],
    ["plain without id", edit(plain, (j) => delete j.id)],
    ["plain id of another seed", edit(plain, (j) => (j.id = otherId))],
    ["plain seed of another id", edit(plain, (j) => (j.seed = toHex(new Uint8Array(32))))],
    ["plain id upper-case", edit(plain, (j) => (j.id = (j.id as string).toUpperCase()))],
    ["missing nonce", edit(encrypted, (j) => delete j.nonce)],
    [
      "ciphertext short",
      edit(encrypted, (j) => (j.ciphertext = (j.ciphertext as string).slice(2))),
    ],
    ["logN too small", edit(encrypted, (j) => ((j.scrypt as { logN: number }).logN = 9))],
    ["logN too large", edit(encrypted, (j) => ((j.scrypt as { logN: number }).logN = 21))],
    ["r changed", edit(encrypted, (j) => ((j.scrypt as { r: number }).r = 1))],
  ];
  for (const [name, text] of cases) {
    await assertCode(decodeKeystore(text, "pw"), "E_MALFORMED", name);
  }
});

Deno.test("readSeed() of a corrupted file fails with E_MALFORMED; a missing one E_NOT_INITIALIZED", async () => {
  await withTempDir(async (dir) => {
    await assertCode(readSeed(dir), "E_NOT_INITIALIZED");
    await assertCode(loadNodeKeys(dir), "E_NOT_INITIALIZED");
    await writeKeystore(dir, SEED);
    const path = `${dir}/keystore.json`;
    const text = await Deno.readTextFile(path);
    await writeSecretFile(path, new TextEncoder().encode(text.slice(0, 20)), { force: true });
    await assertCode(readSeed(dir), "E_MALFORMED", "truncated");
    await writeSecretFile(path, new Uint8Array([0xff, 0xfe, 0x7b]), { force: true });
    await assertCode(readSeed(dir), "E_MALFORMED", "not UTF-8");
    await writeSecretFile(path, new Uint8Array(5000).fill(0x20), { force: true });
    await assertCode(readSeed(dir), "E_MALFORMED", "too large");
  });
});

Deno.test("loadNodeKeys() derives the keys of the stored seed, with or without passphrase", async () => {
  const expected = await deriveKeys(SEED);
  await withTempDir(async (dir) => {
    await writeKeystore(`${dir}/plain`, SEED);
    assert.equal(await keystoreNeedsPassphrase(`${dir}/plain`), false);
    assert.deepEqual(await loadNodeKeys(`${dir}/plain`), expected);
    await writeKeystore(`${dir}/locked`, SEED, { passphrase: "pw", ...FAST });
    assert.equal(await keystoreNeedsPassphrase(`${dir}/locked`), true);
    assert.deepEqual(await loadNodeKeys(`${dir}/locked`, "pw"), expected);
    await assertCode(loadNodeKeys(`${dir}/locked`, "nope"), "E_BAD_PASSPHRASE");
    await assertCode(loadNodeKeys(`${dir}/locked`), "E_BAD_PASSPHRASE");
  });
});

Deno.test("encodeKeystore() rejects seeds of 31 and 33 bytes and out-of-range costs", async () => {
  for (const length of [0, 31, 33]) {
    await assert.rejects(encodeKeystore(new Uint8Array(length)), RangeError);
  }
  for (const logN of [9, 21, 16.5]) {
    await assert.rejects(encodeKeystore(SEED, { passphrase: "pw", logN }), RangeError);
  }
});

Deno.test({
  name: "readSeed() refuses a plain keystore open to other users; an encrypted one is read",
  ignore: !IS_POSIX,
  fn: () =>
    withTempDir(async (dir) => {
      const [plain, locked] = [`${dir}/plain`, `${dir}/locked`];
      await writeKeystore(plain, SEED);
      await writeKeystore(locked, SEED, { passphrase: "pw", ...FAST });
      for (const mode of [0o600, 0o400, 0o700, 0o640, 0o604, 0o620, 0o602, 0o644, 0o666]) {
        const open = (mode & 0o077) !== 0;
        for (const home of [plain, locked]) await Deno.chmod(`${home}/keystore.json`, mode);
        const name = mode.toString(8);
        const expected = open ? { path: `${locked}/keystore.json`, mode } : undefined;
        assert.deepEqual(await exposedKeystore(locked), expected, name);
        assert.deepEqual(await readSeed(locked, "pw"), SEED, name);
        if (!open) {
          assert.deepEqual(await readSeed(plain), SEED, name);
          continue;
        }
        const reads = [readSeed, loadNodeKeys, keystoreNeedsPassphrase];
        for (const read of reads) {
          await assert.rejects(
            read(plain),
            (err) =>
              isMeteorError(err, "E_BAD_CONFIG") &&
              err.message.includes(`(mode 0${name})`) &&
              err.message.endsWith(`run chmod 600 ${plain}/keystore.json`),
            name,
          );
        }
      }
      await assertCode(exposedKeystore(`${dir}/none`), "E_NOT_INITIALIZED");
    }),
});
