import assert from "node:assert/strict";
import { x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { x25519, X25519_LENGTH, x25519Base } from "../../core/crypto/x25519.ts";
import { X25519_VECTOR } from "../../core/_selftest_vectors.ts";

Deno.test("x25519() and x25519Base() give the RFC 7748 §6.1 keys and shared secret", async () => {
  const v = X25519_VECTOR;
  assert.deepEqual(await x25519Base(v.alicePrivate), v.alicePublic);
  assert.deepEqual(await x25519Base(v.bobPrivate), v.bobPublic);
  assert.deepEqual(await x25519(v.alicePrivate, v.bobPublic), v.shared);
  assert.deepEqual(await x25519(v.bobPrivate, v.alicePublic), v.shared);
});

Deno.test("x25519() agrees with @noble/curves on random inputs", async () => {
  for (let i = 0; i < 8; i++) {
    const a = crypto.getRandomValues(new Uint8Array(32));
    const b = crypto.getRandomValues(new Uint8Array(32));
    const bPublic = nobleX25519.getPublicKey(b);
    assert.deepEqual(await x25519Base(a), nobleX25519.getPublicKey(a));
    assert.deepEqual(await x25519(a, bPublic), nobleX25519.getSharedSecret(a, bPublic));
  }
});

Deno.test("x25519() resolves to null for a low-order point (RFC 7748 §6.1)", async () => {
  const scalar = crypto.getRandomValues(new Uint8Array(32));
  const one = new Uint8Array(32);
  one[0] = 1;
  for (const u of [new Uint8Array(32), one]) assert.equal(await x25519(scalar, u), null);
});

Deno.test("x25519() throws RangeError for a scalar or u of 31 or 33 bytes", async () => {
  const ok = new Uint8Array(X25519_LENGTH).fill(9);
  for (const length of [X25519_LENGTH - 1, X25519_LENGTH + 1]) {
    await assert.rejects(x25519(new Uint8Array(length), ok), RangeError);
    await assert.rejects(x25519(ok, new Uint8Array(length)), RangeError);
    await assert.rejects(x25519Base(new Uint8Array(length)), RangeError);
  }
});

Deno.test("x25519() leaves the caller's scalar and u unchanged", async () => {
  const v = X25519_VECTOR;
  const scalar = v.alicePrivate.slice(), u = v.bobPublic.slice();
  await x25519(scalar, u);
  assert.deepEqual(scalar, v.alicePrivate);
  assert.deepEqual(u, v.bobPublic);
});
