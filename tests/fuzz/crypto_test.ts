/**
 * Adversarial input for core/crypto: X-Wing decapsulation of random and
 * mutated ciphertexts (checked against @noble/post-quantum's X-Wing, with
 * every low-order X25519 share), HPKE open with random `enc` and
 * ciphertexts, AEAD open of random bytes, ML-KEM public key checks and
 * hybrid signatures over random keys. Wrong lengths are RangeError, as
 * documented; everything else is a value or a MeteorError with its code.
 */
import assert from "node:assert/strict";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { concat, fromHex, utf8 } from "../../core/bytes.ts";
import { open, seal } from "../../core/crypto/aead.ts";
import { hpkeOpen, hpkeSeal } from "../../core/crypto/hpke.ts";
import { isValidMlKem768PublicKey } from "../../core/crypto/mlkem.ts";
import { hybridSign, hybridVerify, signingPublicKeys } from "../../core/crypto/sign.ts";
import {
  checkXWingPublicKey,
  XWING_CIPHERTEXT_LENGTH,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingPublicKey,
} from "../../core/crypto/xwing.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import type { AeadJob, BatchAead } from "../../core/crypto/batch_types.ts";
import { GpuAead } from "../../core/gpu/aead.ts";
import { NO_GPU, refusingFallback } from "../gpu/_gpu.ts";
import { assertCode, expectCode, flipped, outcome, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

/** The X25519 points of small order (RFC 7748 §7 and the libsodium list), canonical forms. */
const LOW_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map(fromHex);

Deno.test("xwingDecapsulate() agrees with noble on random and mutated ciphertexts", async () => {
  const prng = new Prng("xwing decapsulate");
  const seed = prng.bytes(32);
  const publicKey = await xwingPublicKey(seed);
  const honest = await xwingEncapsulate(publicKey);
  const cases: [string, Uint8Array][] = [];
  for (let i = 0; i < 40; i++) cases.push([`random ${i}`, prng.bytes(XWING_CIPHERTEXT_LENGTH)]);
  for (let i = 0; i < 40; i++) {
    const at = prng.pick([0, 1087, 1088, 1119, prng.int(XWING_CIPHERTEXT_LENGTH)]);
    cases.push([`flip ${at}`, flipped(honest.ciphertext, at, prng.nonZeroByte())]);
  }
  cases.push(["top bit of the X25519 share", flipped(honest.ciphertext, 1119, 0x80)]);
  for (const [name, ciphertext] of cases) {
    const what = `${name} ${seedNote(prng.seed)}`;
    const result = await outcome(() => xwingDecapsulate(seed, ciphertext), what);
    if (!result.ok) {
      assertCode(result.error, ["E_MALFORMED"], what);
      continue;
    }
    // Implicit rejection: a value, deterministic, the reference's, and not the honest secret.
    assert.deepEqual(result.value, ml_kem768_x25519.decapsulate(ciphertext, seed), what);
    assert.deepEqual(
      await xwingDecapsulate(seed, ciphertext),
      result.value,
      `${what}: not deterministic`,
    );
    assert.notDeepEqual(result.value, honest.sharedSecret, `${what}: mutated ciphertext accepted`);
  }
});

Deno.test("xwingDecapsulate() refuses every low-order X25519 share with E_MALFORMED", async () => {
  const prng = new Prng("xwing low order");
  const seed = prng.bytes(32);
  const honest = await xwingEncapsulate(await xwingPublicKey(seed));
  for (const [i, point] of LOW_ORDER.entries()) {
    for (const topBit of [0, 0x80]) {
      const u = point.slice();
      u[31] |= topBit;
      const ciphertext = honest.ciphertext.slice();
      ciphertext.set(u, 1088);
      await expectCode(
        () => xwingDecapsulate(seed, ciphertext),
        ["E_MALFORMED"],
        `point ${i} top ${topBit}`,
      );
      await expectCode(
        () => hpkeOpen(seed, ciphertext, new Uint8Array(0), new Uint8Array(0), new Uint8Array(32)),
        ["E_MALFORMED"],
        `hpkeOpen: point ${i} top ${topBit}`,
      );
    }
  }
});

Deno.test("xwingDecapsulate() and hpkeOpen() throw RangeError for wrong lengths only", async () => {
  const seed = new Uint8Array(32);
  const none = new Uint8Array(0);
  for (const n of [0, 1, 1119, 1121, 2240]) {
    await assert.rejects(() => xwingDecapsulate(seed, new Uint8Array(n)), RangeError, `ct ${n}`);
    await assert.rejects(() => hpkeOpen(seed, new Uint8Array(n), none, none, none), RangeError);
  }
  for (const n of [0, 31, 33, 64]) {
    await assert.rejects(
      () => xwingDecapsulate(new Uint8Array(n), new Uint8Array(1120)),
      RangeError,
    );
  }
  await assert.rejects(
    () => xwingDecapsulate(seed, "x".repeat(1120) as unknown as Uint8Array),
    TypeError,
  );
});

Deno.test("hpkeOpen() refuses random enc, ciphertexts, info and aad with E_DECRYPT_FAILED", async () => {
  const prng = new Prng("hpke open");
  const seed = prng.bytes(32);
  const info = utf8("age-encryption.org/mlkem768x25519");
  const none = new Uint8Array(0);
  const sealed = await hpkeSeal(await xwingPublicKey(seed), info, none, prng.bytes(16));
  const cases: [string, Uint8Array, Uint8Array, Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < 30; i++) {
    cases.push([`random enc ${i}`, prng.bytes(1120), info, none, sealed.ciphertext]);
    const n = prng.pick([0, 1, 15, 16, 17, 32, prng.range(0, 100)]);
    cases.push([`random ciphertext of ${n} bytes`, sealed.enc, info, none, prng.bytes(n)]);
    const at = prng.int(sealed.ciphertext.length);
    cases.push([`ciphertext flip ${at}`, sealed.enc, info, none, flipped(sealed.ciphertext, at)]);
    const e = prng.int(1120);
    cases.push([
      `enc flip ${e}`,
      flipped(sealed.enc, e, prng.nonZeroByte()),
      info,
      none,
      sealed.ciphertext,
    ]);
  }
  cases.push(
    ["other info", sealed.enc, utf8("age-encryption.org/v1/X25519"), none, sealed.ciphertext],
    ["empty info", sealed.enc, none, none, sealed.ciphertext],
    ["some aad", sealed.enc, info, new Uint8Array(1), sealed.ciphertext],
  );
  for (const [name, enc, i, aad, ct] of cases) {
    const what = `${name} ${seedNote(prng.seed)}`;
    await expectCode(
      () => hpkeOpen(seed, enc, i, aad, ct),
      ["E_DECRYPT_FAILED", "E_MALFORMED"],
      what,
    );
  }
});

Deno.test("open() refuses random sealed bytes of every short length with E_DECRYPT_FAILED", async () => {
  const prng = new Prng("aead open");
  const key = prng.bytes(32);
  const nonce = prng.bytes(12);
  for (let n = 0; n <= 80; n++) {
    await expectCode(
      () => open(key, nonce, prng.bytes(n)),
      ["E_DECRYPT_FAILED"],
      `${n} random bytes`,
    );
  }
  const sealed = seal(key, nonce, utf8("attack at dawn"), utf8("aad"));
  for (let i = 0; i < sealed.length; i++) {
    await expectCode(
      () => open(key, nonce, flipped(sealed, i, prng.nonZeroByte()), utf8("aad")),
      ["E_DECRYPT_FAILED"],
      `flip ${i} ${seedNote(prng.seed)}`,
    );
  }
  await expectCode(() => open(key, nonce, sealed, utf8("aaD")), ["E_DECRYPT_FAILED"], "other aad");
  assert.throws(() => open(key.subarray(1), nonce, sealed), RangeError);
  assert.throws(() => open(key, nonce.subarray(1), sealed), RangeError);
});

Deno.test("checkXWingPublicKey() and xwingEncapsulate() refuse random keys with E_BAD_KEY", async () => {
  const prng = new Prng("xwing public keys");
  const valid = await xwingPublicKey(prng.bytes(32));
  const keys: [string, Uint8Array][] = [["all 0xff", new Uint8Array(1216).fill(0xff)]];
  for (let i = 0; i < 30; i++) keys.push([`random ${i}`, prng.bytes(1216)]);
  for (let i = 0; i < 30; i++) {
    // Set one 12-bit coefficient to q = 3329 (0xd01), just out of range.
    const key = valid.slice();
    const at = 3 * prng.int(384);
    key[at] = 0x01;
    key[at + 1] = (key[at + 1] & 0xf0) | 0x0d;
    keys.push([`coefficient ${at / 3 * 2} = q`, key]);
  }
  for (const [name, key] of keys) {
    const what = `${name} ${seedNote(prng.seed)}`;
    assert.equal(isValidMlKem768PublicKey(key.subarray(0, 1184)), false, what);
    await expectCode(() => checkXWingPublicKey(key), ["E_BAD_KEY"], what);
    await expectCode(() => xwingEncapsulate(key), ["E_BAD_KEY"], what);
  }
  // A valid ML-KEM part with a low-order X25519 part cannot be encapsulated to.
  for (const point of LOW_ORDER) {
    const key = valid.slice();
    key.set(point, 1184);
    await expectCode(() => xwingEncapsulate(key), ["E_BAD_KEY"], "low-order X25519 key");
  }
});

Deno.test("hybridVerify() refuses random keys, signatures and lengths with E_BAD_SIGNATURE", async () => {
  const prng = new Prng("hybrid verify");
  const seeds = { ed25519: prng.bytes(32), mldsa65: prng.bytes(32) };
  const keys = await signingPublicKeys(seeds);
  const message = utf8("message");
  const signature = await hybridSign(seeds, "fuzz/v1", message);
  const cases: [string, typeof keys, Uint8Array][] = [];
  for (let i = 0; i < 10; i++) {
    cases.push([`random signature ${i}`, keys, prng.bytes(3373)]);
    cases.push([
      `random keys ${i}`,
      { ed25519: prng.bytes(32), mldsa65: prng.bytes(1952) },
      signature,
    ]);
    const at = prng.int(3373);
    cases.push([`signature flip ${at}`, keys, flipped(signature, at, prng.nonZeroByte())]);
  }
  for (const n of [0, 64, 3309, 3372, 3374]) {
    cases.push([`signature of ${n} bytes`, keys, new Uint8Array(n)]);
  }
  cases.push(["all-zero Ed25519 key", { ...keys, ed25519: new Uint8Array(32) }, signature]);
  for (const [name, k, sig] of cases) {
    await expectCode(
      () => hybridVerify(k, "fuzz/v1", message, sig),
      ["E_BAD_SIGNATURE"],
      `${name} ${seedNote(prng.seed)}`,
    );
  }
  await expectCode(
    () => hybridVerify(keys, "fuzz/v2", message, signature),
    ["E_BAD_SIGNATURE"],
    "context",
  );
  await hybridVerify(keys, "fuzz/v1", message, signature);
});

/**
 * Seals random jobs, damages about half of them (a flipped bit, a cut, a
 * wrong nonce, key or aad, garbage), and checks that `engine.openBatch`
 * returns null for exactly the damaged ones and the plaintext for the rest.
 */
async function checkBatchTampering(engine: BatchAead, label: string): Promise<void> {
  const prng = new Prng(`batch tampering ${label}`);
  for (let round = 0; round < 4; round++) {
    const plain: AeadJob[] = Array.from({ length: prng.range(1, 300) }, () => ({
      key: prng.bytes(32),
      nonce: prng.bytes(12),
      aad: prng.chance(0.3) ? prng.bytes(prng.range(0, 40)) : undefined,
      data: prng.bytes(prng.pick([0, 1, 15, 16, 17, 63, 64, 65, prng.range(0, 3000)])),
    }));
    const sealed = await engine.sealBatch(plain);
    const damaged: boolean[] = [];
    const jobs = plain.map((job, i) => {
      const data = sealed[i];
      const kind = prng.int(12);
      damaged.push(kind < 6);
      switch (kind) {
        case 0:
          return { ...job, data: flipped(data, prng.int(data.length), 1 << prng.int(8)) };
        case 1:
          return { ...job, data: data.subarray(0, prng.int(data.length)) };
        case 2:
          return { ...job, nonce: flipped(job.nonce, prng.int(12)) };
        case 3:
          return { ...job, key: flipped(job.key, prng.int(32)) };
        case 4:
          return { ...job, aad: concat(job.aad ?? new Uint8Array(0), new Uint8Array(1)) };
        case 5:
          return { ...job, data: prng.bytes(data.length) };
        default:
          return { ...job, data };
      }
    });
    const opened = await engine.openBatch(jobs);
    assert.equal(opened.length, jobs.length);
    for (let i = 0; i < jobs.length; i++) {
      const what = `${label} round ${round} job ${i} ${seedNote(prng.seed)}`;
      if (damaged[i]) assert.equal(opened[i], null, `${what}: damaged job opened`);
      else assert.deepEqual(opened[i], plain[i].data, `${what}: genuine job not opened`);
    }
  }
}

Deno.test("cpuBatchAead.openBatch() refuses exactly the damaged jobs of random batches", async () => {
  await checkBatchTampering(cpuBatchAead, "cpu");
});

Deno.test({
  name: "GpuAead.openBatch() refuses exactly the damaged jobs of random batches",
  ignore: NO_GPU,
  async fn() {
    const gpu = new GpuAead({ fallback: refusingFallback });
    try {
      await checkBatchTampering(gpu, "gpu");
    } finally {
      gpu.close();
    }
  },
});

Deno.test(
  "GpuAead without an adapter opens a batch of 200,000 jobs on its fallback",
  async () => {
    const gpu = new GpuAead({ fallback: cpuBatchAead, adapter: () => Promise.resolve(null) });
    try {
      const key = new Uint8Array(32);
      // Distinct nonces: a batch that reuses a (key, nonce) is refused (E_NONCE_REUSE).
      const jobs = Array.from({ length: 200_000 }, (_, i) => {
        const nonce = new Uint8Array(12);
        new DataView(nonce.buffer).setUint32(8, i);
        return { key, nonce, data: new Uint8Array(1) };
      });
      assert.equal((await gpu.sealBatch(jobs)).length, jobs.length);
    } finally {
      gpu.close();
    }
  },
);
