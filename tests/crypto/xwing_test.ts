import assert from "node:assert/strict";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { fromHex, toHex } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import {
  checkXWingPublicKey,
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingPublicKey,
} from "../../core/crypto/xwing.ts";
import { vectorsDir } from "../_vectors.ts";
import { randomBytes as random } from "./_random.ts";

interface XWingVector {
  seed: string;
  eseed: string;
  pk: string;
  sk: string;
  ct: string;
  ss: string;
}

function loadVectors(): XWingVector[] {
  const path = `${vectorsDir()}/xwing/test-vectors.json`;
  const vectors = JSON.parse(Deno.readTextFileSync(path)) as XWingVector[];
  assert.ok(Array.isArray(vectors) && vectors.length > 0, `no X-Wing vectors in ${path}`);
  return vectors;
}

/** A point of order 8 on Curve25519 (RFC 7748 §6.1 low-order inputs). */
const LOW_ORDER = fromHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");

Deno.test("xwing functions pass every draft-connolly-cfrg-xwing-kem vector", async () => {
  const vectors = loadVectors();
  for (const [i, v] of vectors.entries()) {
    assert.equal(v.sk, v.seed, `vector ${i}: the private key is the seed`);
    const publicKey = await xwingPublicKey(fromHex(v.seed));
    assert.equal(toHex(publicKey), v.pk, `vector ${i} pk`);
    const { sharedSecret, ciphertext } = await xwingEncapsulate(publicKey, fromHex(v.eseed));
    assert.equal(toHex(ciphertext), v.ct, `vector ${i} ct`);
    assert.equal(toHex(sharedSecret), v.ss, `vector ${i} ss (encapsulate)`);
    assert.equal(
      toHex(await xwingDecapsulate(fromHex(v.seed), fromHex(v.ct))),
      v.ss,
      `vector ${i}`,
    );
  }
});

Deno.test("xwing functions agree with @noble/post-quantum's X-Wing on random seeds", async () => {
  for (let i = 0; i < 8; i++) {
    const seed = random(32), eseed = random(64);
    const noble = ml_kem768_x25519.keygen(seed);
    const publicKey = await xwingPublicKey(seed);
    assert.deepEqual(publicKey, noble.publicKey);
    const ours = await xwingEncapsulate(publicKey, eseed);
    const theirs = ml_kem768_x25519.encapsulate(publicKey, eseed);
    assert.deepEqual(ours.ciphertext, theirs.cipherText);
    assert.deepEqual(ours.sharedSecret, theirs.sharedSecret);
    const fresh = await xwingEncapsulate(publicKey);
    assert.deepEqual(ml_kem768_x25519.decapsulate(fresh.ciphertext, seed), fresh.sharedSecret);
    assert.deepEqual(await xwingDecapsulate(seed, theirs.cipherText), theirs.sharedSecret);
  }
});

Deno.test("xwingEncapsulate() is randomised without an eseed and round-trips", async () => {
  const seed = random(32);
  const publicKey = await xwingPublicKey(seed);
  const a = await xwingEncapsulate(publicKey);
  const b = await xwingEncapsulate(publicKey);
  assert.equal(a.ciphertext.length, XWING_CIPHERTEXT_LENGTH);
  assert.notDeepEqual(a.ciphertext, b.ciphertext);
  assert.notDeepEqual(a.sharedSecret, b.sharedSecret);
  assert.deepEqual(await xwingDecapsulate(seed, a.ciphertext), a.sharedSecret);
  assert.notDeepEqual(await xwingDecapsulate(random(32), a.ciphertext), a.sharedSecret);
});

Deno.test("xwingDecapsulate() gives a different secret for a tampered ciphertext", async () => {
  const seed = random(32);
  const { sharedSecret, ciphertext } = await xwingEncapsulate(await xwingPublicKey(seed));
  for (const i of [0, 1087, 1088, 1119]) {
    const bad = ciphertext.slice();
    bad[i] ^= 0x04;
    assert.notDeepEqual(await xwingDecapsulate(seed, bad), sharedSecret, `byte ${i}`);
  }
});

Deno.test("xwing functions reject low-order X25519 points", async () => {
  const seed = random(32);
  const publicKey = await xwingPublicKey(seed);
  const { ciphertext } = await xwingEncapsulate(publicKey);
  for (const point of [new Uint8Array(32), LOW_ORDER]) {
    const badKey = publicKey.slice();
    badKey.set(point, 1184);
    await assert.rejects(xwingEncapsulate(badKey), (e) => isMeteorError(e, "E_BAD_KEY"));
    const badCt = ciphertext.slice();
    badCt.set(point, 1088);
    await assert.rejects(xwingDecapsulate(seed, badCt), (e) => isMeteorError(e, "E_MALFORMED"));
  }
});

Deno.test("xwingEncapsulate() and checkXWingPublicKey() reject an ML-KEM key failing §7.2", async () => {
  const publicKey = await xwingPublicKey(random(32));
  const bad = publicKey.slice();
  bad[0] = 0xff; // first coefficient becomes 0x?ff with the low nibble of byte 1 ...
  bad[1] |= 0x0f; // ... = 4095 >= q
  assert.throws(() => checkXWingPublicKey(bad), (e) => isMeteorError(e, "E_BAD_KEY"));
  await assert.rejects(xwingEncapsulate(bad), (e) => isMeteorError(e, "E_BAD_KEY"));
  await assert.rejects(xwingEncapsulate(bad, random(64)), (e) => isMeteorError(e, "E_BAD_KEY"));
  checkXWingPublicKey(publicKey);
});

Deno.test("xwing functions check argument lengths", async () => {
  const publicKey = await xwingPublicKey(random(32));
  const ciphertext = (await xwingEncapsulate(publicKey)).ciphertext;
  const cases: [string, () => Promise<unknown>][] = [
    ["seed 31", () => xwingPublicKey(random(31))],
    ["seed 33", () => xwingPublicKey(random(33))],
    ["pk 1215", () => xwingEncapsulate(publicKey.subarray(1))],
    ["pk 1217", () => xwingEncapsulate(Uint8Array.of(...publicKey, 0))],
    ["eseed 63", () => xwingEncapsulate(publicKey, random(63))],
    ["eseed 65", () => xwingEncapsulate(publicKey, random(65))],
    ["ct 1119", () => xwingDecapsulate(random(32), ciphertext.subarray(1))],
    ["ct 1121", () => xwingDecapsulate(random(32), Uint8Array.of(...ciphertext, 0))],
    ["decaps seed 0", () => xwingDecapsulate(random(0), ciphertext)],
  ];
  for (const [name, run] of cases) await assert.rejects(run(), RangeError, name);
  assert.equal(publicKey.length, XWING_PUBLIC_KEY_LENGTH);
});

Deno.test("xwing functions leave their inputs unchanged", async () => {
  const seed = random(32), eseed = random(64);
  const seedCopy = seed.slice(), eseedCopy = eseed.slice();
  const publicKey = await xwingPublicKey(seed);
  const pkCopy = publicKey.slice();
  const { ciphertext } = await xwingEncapsulate(publicKey, eseed);
  const ctCopy = ciphertext.slice();
  await xwingDecapsulate(seed, ciphertext);
  assert.deepEqual([seed, eseed, publicKey, ciphertext], [seedCopy, eseedCopy, pkCopy, ctCopy]);
});
