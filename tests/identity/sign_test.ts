import assert from "node:assert/strict";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  ED25519_SIGNATURE_LENGTH,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  HYBRID_SIGNATURE_LENGTH,
  hybridSign,
  hybridSignedBytes,
  hybridVerifier,
  hybridVerify,
  MLDSA65_SIGNATURE_LENGTH,
  mldsa65PublicKey,
  mldsa65Sign,
  mldsa65Verify,
  signingPublicKeys,
  type SigningSeeds,
} from "../../core/crypto/sign.ts";
import { isMeteorError } from "../../core/errors.ts";

const seedOf = (byte: number) => new Uint8Array(32).fill(byte);
const SEEDS: SigningSeeds = { ed25519: seedOf(1), mldsa65: seedOf(2) };
const CONTEXT = "test/v1";
const MESSAGE = new TextEncoder().encode("the message");

/** noble's keys for SEEDS: the independent reference. */
function nobleKeys() {
  return {
    ed: { secretKey: SEEDS.ed25519, publicKey: ed25519.getPublicKey(SEEDS.ed25519) },
    ml: ml_dsa65.keygen(SEEDS.mldsa65),
  };
}

async function rejects(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err) => isMeteorError(err, "E_BAD_SIGNATURE"));
}

Deno.test("ed25519PublicKey() and mldsa65PublicKey() match @noble for the same seeds", async () => {
  for (const byte of [0, 1, 0x5a, 0xff]) {
    const seed = seedOf(byte);
    assert.deepEqual(await ed25519PublicKey(seed), ed25519.getPublicKey(seed));
    assert.deepEqual(await mldsa65PublicKey(seed), ml_dsa65.keygen(seed).publicKey);
  }
});

Deno.test("ed25519PublicKey() and mldsa65PublicKey() reject seeds of 31 and 33 bytes", async () => {
  for (const length of [0, 31, 33]) {
    await assert.rejects(ed25519PublicKey(new Uint8Array(length)), RangeError);
    await assert.rejects(mldsa65PublicKey(new Uint8Array(length)), RangeError);
  }
});

Deno.test("hybridSign() output verifies in @noble, and @noble's signatures verify here", async () => {
  const noble = nobleKeys();
  const signed = hybridSignedBytes(CONTEXT, MESSAGE);
  const signature = await hybridSign(SEEDS, CONTEXT, MESSAGE);
  assert.equal(signature.length, HYBRID_SIGNATURE_LENGTH);
  const mlSig = signature.subarray(0, MLDSA65_SIGNATURE_LENGTH);
  const edSig = signature.subarray(MLDSA65_SIGNATURE_LENGTH);
  assert.equal(edSig.length, ED25519_SIGNATURE_LENGTH);
  assert.ok(ml_dsa65.verify(mlSig, signed, noble.ml.publicKey));
  assert.ok(ed25519.verify(edSig, signed, noble.ed.publicKey));

  const nobleSignature = new Uint8Array([
    ...ml_dsa65.sign(signed, noble.ml.secretKey),
    ...ed25519.sign(signed, noble.ed.secretKey),
  ]);
  await hybridVerify(await signingPublicKeys(SEEDS), CONTEXT, MESSAGE, nobleSignature);
});

Deno.test("hybridSignedBytes() is prefix || 0 || len(context) || context || message", () => {
  const bytes = hybridSignedBytes("ab", new Uint8Array([9]));
  const expected = new TextEncoder().encode("meteor/v1/hybrid-sig\0\x02ab\x09");
  assert.deepEqual(bytes, expected);
});

Deno.test("hybridSignedBytes() rejects empty, over-long and non-ASCII contexts", () => {
  for (const context of ["", "x".repeat(256), "caf\u00e9", "tab\there"]) {
    assert.throws(() => hybridSignedBytes(context, MESSAGE), RangeError);
  }
  hybridSignedBytes("x".repeat(255), MESSAGE);
});

Deno.test("hybridVerify() accepts signatures of empty and large messages", async () => {
  const publicKeys = await signingPublicKeys(SEEDS);
  for (const message of [new Uint8Array(0), new Uint8Array(100_000).fill(7)]) {
    await hybridVerify(publicKeys, CONTEXT, message, await hybridSign(SEEDS, CONTEXT, message));
  }
});

Deno.test("hybridVerifier() imports once and checks each signature as hybridVerify() does", async () => {
  const publicKeys = await signingPublicKeys(SEEDS);
  const verifier = await hybridVerifier(publicKeys);
  const messages = [new Uint8Array(0), MESSAGE, new Uint8Array(10_000).fill(9)];
  for (const message of messages) {
    const signature = await hybridSign(SEEDS, CONTEXT, message);
    await verifier.verify(CONTEXT, message, signature);
    await rejects(verifier.verify("test/v2", message, signature));
    await rejects(verifier.verify(CONTEXT, message, signature.subarray(1)));
  }
  const noble = nobleKeys();
  const signed = hybridSignedBytes(CONTEXT, MESSAGE);
  const nobleSignature = new Uint8Array([
    ...ml_dsa65.sign(signed, noble.ml.secretKey),
    ...ed25519.sign(signed, noble.ed.secretKey),
  ]);
  await verifier.verify(CONTEXT, MESSAGE, nobleSignature);
  // Another signer's keys: a verifier for them rejects this signer's signatures.
  const other = await hybridVerifier(
    await signingPublicKeys({ ed25519: seedOf(3), mldsa65: seedOf(4) }),
  );
  await rejects(other.verify(CONTEXT, MESSAGE, await hybridSign(SEEDS, CONTEXT, MESSAGE)));
  await assert.rejects(
    () => hybridVerifier({ ...publicKeys, mldsa65: new Uint8Array(1951) }),
    RangeError,
  );
});

Deno.test("hybridVerify() rejects with E_BAD_SIGNATURE when anything differs", async () => {
  const publicKeys = await signingPublicKeys(SEEDS);
  const other = await signingPublicKeys({ ed25519: seedOf(3), mldsa65: seedOf(4) });
  const signature = await hybridSign(SEEDS, CONTEXT, MESSAGE);
  const cases: [string, () => Promise<void>][] = [
    ["other context", () => hybridVerify(publicKeys, "test/v2", MESSAGE, signature)],
    ["other message", () => hybridVerify(publicKeys, CONTEXT, MESSAGE.slice(1), signature)],
    [
      "other ed25519 key",
      () => hybridVerify({ ...publicKeys, ed25519: other.ed25519 }, CONTEXT, MESSAGE, signature),
    ],
    [
      "other ml-dsa key",
      () => hybridVerify({ ...publicKeys, mldsa65: other.mldsa65 }, CONTEXT, MESSAGE, signature),
    ],
    [
      "short by one",
      () => hybridVerify(publicKeys, CONTEXT, MESSAGE, signature.subarray(0, signature.length - 1)),
    ],
    [
      "long by one",
      () => hybridVerify(publicKeys, CONTEXT, MESSAGE, new Uint8Array([...signature, 0])),
    ],
    ["empty", () => hybridVerify(publicKeys, CONTEXT, MESSAGE, new Uint8Array(0))],
  ];
  for (const [name, run] of cases) {
    await assert.rejects(run(), (err) => isMeteorError(err, "E_BAD_SIGNATURE"), name);
  }
});

Deno.test("hybridVerify() rejects when one component is valid and the other forged", async () => {
  const publicKeys = await signingPublicKeys(SEEDS);
  const signed = hybridSignedBytes(CONTEXT, MESSAGE);
  const good = await hybridSign(SEEDS, CONTEXT, MESSAGE);
  const ml = good.subarray(0, MLDSA65_SIGNATURE_LENGTH);
  const ed = good.subarray(MLDSA65_SIGNATURE_LENGTH);
  // A forger holding only one of the two secret keys.
  const strangerMl = ml_dsa65.sign(signed, ml_dsa65.keygen(seedOf(9)).secretKey);
  const strangerEd = ed25519.sign(signed, seedOf(9));
  await rejects(hybridVerify(publicKeys, CONTEXT, MESSAGE, new Uint8Array([...ml, ...strangerEd])));
  await rejects(hybridVerify(publicKeys, CONTEXT, MESSAGE, new Uint8Array([...strangerMl, ...ed])));
  // Each half alone, the other zeroed.
  await rejects(
    hybridVerify(publicKeys, CONTEXT, MESSAGE, new Uint8Array([...ml, ...new Uint8Array(64)])),
  );
  await rejects(
    hybridVerify(publicKeys, CONTEXT, MESSAGE, new Uint8Array([...new Uint8Array(3309), ...ed])),
  );
});

Deno.test("hybridVerify() rejects a flipped bit in either component", async () => {
  const publicKeys = await signingPublicKeys(SEEDS);
  const signature = await hybridSign(SEEDS, CONTEXT, MESSAGE);
  for (
    const index of [
      0,
      1000,
      MLDSA65_SIGNATURE_LENGTH - 1,
      MLDSA65_SIGNATURE_LENGTH,
      HYBRID_SIGNATURE_LENGTH - 1,
    ]
  ) {
    const bad = signature.slice();
    bad[index] ^= 1;
    await rejects(hybridVerify(publicKeys, CONTEXT, MESSAGE, bad));
  }
});

Deno.test("hybridVerify() throws RangeError for public keys of the wrong length", async () => {
  const publicKeys = await signingPublicKeys(SEEDS);
  const signature = await hybridSign(SEEDS, CONTEXT, MESSAGE);
  await assert.rejects(
    hybridVerify({ ...publicKeys, ed25519: new Uint8Array(31) }, CONTEXT, MESSAGE, signature),
    RangeError,
  );
  await assert.rejects(
    hybridVerify({ ...publicKeys, mldsa65: new Uint8Array(1953) }, CONTEXT, MESSAGE, signature),
    RangeError,
  );
});

Deno.test("hybridSign() leaves the caller's seeds and message unchanged", async () => {
  const seeds = { ed25519: seedOf(1), mldsa65: seedOf(2) };
  const message = MESSAGE.slice();
  await hybridSign(seeds, CONTEXT, message);
  assert.deepEqual(seeds, SEEDS);
  assert.deepEqual(message, MESSAGE);
});

Deno.test("ed25519Sign() and mldsa65Sign() verify in @noble and in their own verify", async () => {
  const { ed, ml } = nobleKeys();
  const edSig = await ed25519Sign(SEEDS.ed25519, MESSAGE);
  assert.deepEqual(edSig, ed25519.sign(MESSAGE, SEEDS.ed25519));
  assert.equal(await ed25519Verify(ed.publicKey, MESSAGE, edSig), true);
  const mlSig = await mldsa65Sign(SEEDS.mldsa65, MESSAGE);
  assert.equal(ml_dsa65.verify(mlSig, MESSAGE, ml.publicKey), true);
  assert.equal(await mldsa65Verify(ml.publicKey, MESSAGE, mlSig), true);
});

Deno.test("ed25519Verify() and mldsa65Verify() give false for a bad key or signature", async () => {
  const { ed, ml } = nobleKeys();
  const edSig = await ed25519Sign(SEEDS.ed25519, MESSAGE);
  const mlSig = await mldsa65Sign(SEEDS.mldsa65, MESSAGE);
  const cases: [string, Promise<boolean>][] = [
    ["ed25519 key 31 bytes", ed25519Verify(ed.publicKey.slice(1), MESSAGE, edSig)],
    ["ed25519 signature 63 bytes", ed25519Verify(ed.publicKey, MESSAGE, edSig.slice(1))],
    ["ed25519 other message", ed25519Verify(ed.publicKey, MESSAGE.slice(1), edSig)],
    ["ml-dsa key 1951 bytes", mldsa65Verify(ml.publicKey.slice(1), MESSAGE, mlSig)],
    ["ml-dsa signature 3308 bytes", mldsa65Verify(ml.publicKey, MESSAGE, mlSig.slice(1))],
    ["ml-dsa other message", mldsa65Verify(ml.publicKey, MESSAGE.slice(1), mlSig)],
  ];
  for (const [what, result] of cases) assert.equal(await result, false, what);
});
