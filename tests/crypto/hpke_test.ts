import assert from "node:assert/strict";
import { base64nopad, bech32 } from "@scure/base";
import { Decrypter, Encrypter, Stanza } from "age-encryption";
import { fromHex, toHex, utf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { hpkeOpen, hpkeSeal } from "../../core/crypto/hpke.ts";
import { xwingPublicKey } from "../../core/crypto/xwing.ts";
import { vectorsDir } from "../_vectors.ts";
import { randomBytes as random } from "./_random.ts";

/** age's HPKE info for the mlkem768x25519 recipient (C2SP age spec). */
const AGE_INFO = utf8("age-encryption.org/mlkem768x25519");
const NONE = new Uint8Array(0);

const ageIdentity = (seed: Uint8Array) =>
  bech32.encode("AGE-SECRET-KEY-PQ-", bech32.toWords(seed), false).toUpperCase();
const ageRecipient = (publicKey: Uint8Array) =>
  bech32.encode("age1pq", bech32.toWords(publicKey), false);

interface HybridVector {
  seed: Uint8Array;
  fileKey: Uint8Array;
  enc: Uint8Array;
  body: Uint8Array;
}

/** Reads the identity, file key and mlkem768x25519 stanza of a CCTV age vector. */
function readHybridVector(name: string): HybridVector {
  const text = new TextDecoder("latin1").decode(Deno.readFileSync(`${vectorsDir()}/age/${name}`));
  const [head, file] = [text.slice(0, text.indexOf("\n\n")), text.slice(text.indexOf("\n\n") + 2)];
  const field = (key: string) => {
    const line = head.split("\n").find((l) => l.startsWith(`${key}: `));
    assert.ok(line, `${name}: no ${key}`);
    return line.slice(key.length + 2);
  };
  const lines = file.split("\n");
  const at = lines.findIndex((l) => l.startsWith("-> mlkem768x25519 "));
  assert.ok(at >= 0, `${name}: no mlkem768x25519 stanza`);
  return {
    seed: bech32.decodeToBytes(field("identity")).bytes,
    fileKey: fromHex(field("file key")),
    enc: base64nopad.decode(lines[at].split(" ")[2]),
    body: base64nopad.decode(lines[at + 1]),
  };
}

Deno.test("hpkeOpen() unwraps the file key of the CCTV age hybrid vector", async () => {
  const v = readHybridVector("hybrid");
  assert.equal(toHex(await hpkeOpen(v.seed, v.enc, AGE_INFO, NONE, v.body)), toHex(v.fileKey));
});

Deno.test("hpkeOpen() fails as the CCTV age vectors expect", async () => {
  const cases: [string, (e: unknown) => boolean][] = [
    ["hybrid_bad_tag", (e) => isMeteorError(e, "E_DECRYPT_FAILED")],
    ["hybrid_currupted_enc_mlkem", (e) => isMeteorError(e, "E_DECRYPT_FAILED")],
    ["hybrid_currupted_enc_x25519", (e) => isMeteorError(e, "E_DECRYPT_FAILED")],
    ["hybrid_low_order", (e) => isMeteorError(e, "E_MALFORMED")],
    ["hybrid_identity", (e) => isMeteorError(e, "E_MALFORMED")],
    ["hybrid_short_share", (e) => e instanceof RangeError],
    ["hybrid_long_share", (e) => e instanceof RangeError],
  ];
  for (const [name, expected] of cases) {
    const v = readHybridVector(name);
    await assert.rejects(hpkeOpen(v.seed, v.enc, AGE_INFO, NONE, v.body), expected, name);
  }
  const other = readHybridVector("hybrid_no_match");
  await assert.rejects(
    hpkeOpen(other.seed, other.enc, AGE_INFO, NONE, other.body),
    (e) => isMeteorError(e, "E_DECRYPT_FAILED"),
  );
});

Deno.test("hpkeOpen() unwraps what age-encryption (typage) wraps", async () => {
  const seed = random(32);
  const encrypter = new Encrypter();
  encrypter.addRecipient(ageRecipient(await xwingPublicKey(seed)));
  const file = await encrypter.encrypt("hello from typage");
  const decrypter = new Decrypter();
  decrypter.addIdentity({
    unwrapFileKey: async (stanzas: Stanza[]) => {
      const s = stanzas.find((x) => x.args[0] === "mlkem768x25519");
      if (!s) return null;
      return await hpkeOpen(seed, base64nopad.decode(s.args[1]), AGE_INFO, NONE, s.body);
    },
  });
  // typage checks the header MAC with the file key we return, so a wrong key fails here.
  assert.equal(await decrypter.decrypt(file, "text"), "hello from typage");
});

Deno.test("hpkeSeal() wraps what age-encryption (typage) unwraps", async () => {
  const seed = random(32);
  const publicKey = await xwingPublicKey(seed);
  const encrypter = new Encrypter();
  encrypter.addRecipient({
    wrapFileKey: async (fileKey: Uint8Array) => {
      const { enc, ciphertext } = await hpkeSeal(publicKey, AGE_INFO, NONE, fileKey);
      return [new Stanza(["mlkem768x25519", base64nopad.encode(enc)], ciphertext)];
    },
  });
  const file = await encrypter.encrypt("hello from meteor");
  const decrypter = new Decrypter();
  decrypter.addIdentity(ageIdentity(seed));
  assert.equal(await decrypter.decrypt(file, "text"), "hello from meteor");
});

Deno.test("hpkeSeal() and hpkeOpen() round-trip sizes 0, 15, 16, 17 with info and aad", async () => {
  const seed = random(32);
  const publicKey = await xwingPublicKey(seed);
  for (const n of [0, 15, 16, 17, 1000]) {
    const plaintext = random(n), info = random(5), aad = random(3);
    const { enc, ciphertext } = await hpkeSeal(publicKey, info, aad, plaintext);
    assert.equal(enc.length, 1120);
    assert.equal(ciphertext.length, n + 16);
    assert.deepEqual(await hpkeOpen(seed, enc, info, aad, ciphertext), plaintext);
  }
});

Deno.test("hpkeOpen() rejects a wrong seed, info, aad, enc or ciphertext", async () => {
  const seed = random(32);
  const info = utf8("info"), aad = utf8("aad");
  const { enc, ciphertext } = await hpkeSeal(await xwingPublicKey(seed), info, aad, random(16));
  const flip = (b: Uint8Array, i: number) => {
    const c = b.slice();
    c[i] ^= 1;
    return c;
  };
  const cases: [string, () => Promise<unknown>][] = [
    ["seed", () => hpkeOpen(random(32), enc, info, aad, ciphertext)],
    ["info", () => hpkeOpen(seed, enc, utf8("inf0"), aad, ciphertext)],
    ["no info", () => hpkeOpen(seed, enc, NONE, aad, ciphertext)],
    ["aad", () => hpkeOpen(seed, enc, info, NONE, ciphertext)],
    ["enc ML-KEM byte", () => hpkeOpen(seed, flip(enc, 5), info, aad, ciphertext)],
    ["enc X25519 byte", () => hpkeOpen(seed, flip(enc, 1100), info, aad, ciphertext)],
    ["ciphertext", () => hpkeOpen(seed, enc, info, aad, flip(ciphertext, 0))],
    ["tag", () => hpkeOpen(seed, enc, info, aad, flip(ciphertext, 31))],
    ["truncated", () => hpkeOpen(seed, enc, info, aad, ciphertext.subarray(0, 31))],
  ];
  for (const [name, run] of cases) {
    await assert.rejects(run(), (e) => isMeteorError(e, "E_DECRYPT_FAILED"), name);
  }
});

Deno.test("hpkeSeal() and hpkeOpen() check lengths and keys", async () => {
  const publicKey = await xwingPublicKey(random(32));
  const bad = publicKey.slice();
  bad.fill(0xff, 0, 3);
  await assert.rejects(hpkeSeal(bad, NONE, NONE, NONE), (e) => isMeteorError(e, "E_BAD_KEY"));
  await assert.rejects(hpkeSeal(publicKey.subarray(1), NONE, NONE, NONE), RangeError);
  await assert.rejects(hpkeOpen(random(31), random(1120), NONE, NONE, random(16)), RangeError);
  await assert.rejects(hpkeOpen(random(32), random(1119), NONE, NONE, random(16)), RangeError);
});
