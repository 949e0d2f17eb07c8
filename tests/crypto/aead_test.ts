import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { toHex } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { open, openInto, seal, sealInto } from "../../core/crypto/aead.ts";
import { randomBytes as random } from "./_random.ts";
import { RFC8439_AEAD_VECTORS } from "../../core/_selftest_vectors.ts";

const assertDecryptFailed = (run: () => unknown, name: string) =>
  assert.throws(run, (err) => isMeteorError(err, "E_DECRYPT_FAILED"), name);

Deno.test("seal() matches the RFC 8439 §2.8.2 and A.5 vectors and open() reverses them", () => {
  assert.equal(RFC8439_AEAD_VECTORS.length, 2);
  for (const v of RFC8439_AEAD_VECTORS) {
    const sealed = seal(v.key, v.nonce, v.plaintext, v.aad);
    assert.equal(toHex(sealed), toHex(v.sealed), v.name);
    assert.deepEqual(open(v.key, v.nonce, sealed, v.aad), v.plaintext, v.name);
  }
});

Deno.test("seal() agrees with @noble/ciphers for sizes around block and chunk boundaries", () => {
  for (const n of [0, 1, 15, 16, 17, 63, 64, 65, 65535, 65536, 65537]) {
    for (const aad of [new Uint8Array(0), random(13)]) {
      const key = random(32), nonce = random(12), plaintext = random(n);
      const sealed = seal(key, nonce, plaintext, aad);
      assert.equal(sealed.length, n + 16);
      assert.deepEqual(sealed, chacha20poly1305(key, nonce, aad).encrypt(plaintext), `${n}`);
      assert.deepEqual(open(key, nonce, sealed, aad), plaintext, `${n}`);
    }
  }
});

Deno.test("open() rejects any flipped bit, truncation, or wrong key, nonce or aad", () => {
  const key = random(32), nonce = random(12), aad = random(5);
  const sealed = seal(key, nonce, random(40), aad);
  for (const i of [0, 39, 40, 55]) {
    const bad = sealed.slice();
    bad[i] ^= 0x01;
    assertDecryptFailed(() => open(key, nonce, bad, aad), `flip byte ${i}`);
  }
  const cases: [string, () => unknown][] = [
    ["truncated by one", () => open(key, nonce, sealed.subarray(0, -1), aad)],
    ["extended by one", () => open(key, nonce, Uint8Array.of(...sealed, 0), aad)],
    ["tag only", () => open(key, nonce, sealed.subarray(-16), aad)],
    ["15 bytes", () => open(key, nonce, sealed.subarray(0, 15), aad)],
    ["empty", () => open(key, nonce, new Uint8Array(0), aad)],
    ["wrong key", () => open(random(32), nonce, sealed, aad)],
    ["wrong nonce", () => open(key, random(12), sealed, aad)],
    ["missing aad", () => open(key, nonce, sealed)],
    ["wrong aad", () => open(key, nonce, sealed, random(5))],
  ];
  for (const [name, run] of cases) assertDecryptFailed(run, name);
});

Deno.test("open() error does not say which check failed", () => {
  const key = random(32), nonce = random(12);
  const sealed = seal(key, nonce, random(8));
  const messages = new Set<string>();
  for (
    const run of [() => open(key, nonce, sealed.subarray(3)), () => open(random(32), nonce, sealed)]
  ) {
    try {
      run();
    } catch (err) {
      messages.add((err as Error).message);
    }
  }
  assert.deepEqual([...messages], ["Cannot open ciphertext: authentication failed"]);
});

Deno.test("seal() and open() check key and nonce lengths", () => {
  const cases: [string, () => unknown][] = [
    ["key 31", () => seal(random(31), random(12), random(1))],
    ["key 33", () => seal(random(33), random(12), random(1))],
    ["nonce 11", () => seal(random(32), random(11), random(1))],
    ["nonce 13", () => open(random(32), random(13), random(16))],
    ["key 0", () => open(random(0), random(12), random(16))],
  ];
  for (const [name, run] of cases) assert.throws(run, RangeError, name);
  assert.throws(() => seal(random(32), random(12), "x" as unknown as Uint8Array), TypeError);
});

Deno.test("seal() and open() leave their inputs unchanged", () => {
  const key = random(32), nonce = random(12), plaintext = random(100), aad = random(7);
  const copies = [key, nonce, plaintext, aad].map((b) => b.slice());
  const sealed = seal(key, nonce, plaintext, aad);
  const sealedCopy = sealed.slice();
  open(key, nonce, sealed, aad);
  assert.deepEqual([key, nonce, plaintext, aad], copies);
  assert.deepEqual(sealed, sealedCopy);
});

Deno.test("sealInto() writes seal()'s bytes into its range only, and checks its length", () => {
  for (const n of [0, 1, 65535, 65536, 65537]) {
    const [key, nonce, plaintext, aad] = [random(32), random(12), random(n), random(n % 7)];
    const buffer = random(n + 16 + 10);
    const around = [buffer.slice(0, 5), buffer.slice(n + 21)];
    sealInto(buffer.subarray(5, n + 21), key, nonce, plaintext, aad);
    assert.deepEqual(buffer.subarray(5, n + 21), seal(key, nonce, plaintext, aad), `n ${n}`);
    assert.deepEqual([buffer.slice(0, 5), buffer.slice(n + 21)], around, `n ${n}`);
    for (const wrong of [n + 15, n + 17]) {
      assert.throws(() => sealInto(new Uint8Array(wrong), key, nonce, plaintext), RangeError);
    }
  }
});

Deno.test("sealInto() and openInto() free only node:crypto's own output, never a caller's buffer", () => {
  // Each call detaches the Buffer Cipheriv.update() allocated; the caller's arrays, whole
  // buffers or views alike, must keep their bytes and length.
  for (const n of [0, 1, 64, 65, 65536]) {
    const [key, nonce] = [random(32), random(12)];
    for (const view of [false, true]) {
      const plaintext = view ? random(n + 8).subarray(4, n + 4) : random(n);
      const plainCopy = plaintext.slice();
      const sealed = view ? new Uint8Array(n + 24).subarray(4, n + 20) : new Uint8Array(n + 16);
      sealInto(sealed, key, nonce, plaintext);
      assert.equal(plaintext.buffer.byteLength, view ? n + 8 : n, `n ${n}`);
      assert.deepEqual(plaintext, plainCopy, `n ${n}`);
      assert.deepEqual(sealed, seal(key, nonce, plaintext), `n ${n}`);
      const sealedCopy = sealed.slice();
      const opened = new Uint8Array(n);
      assert.equal(openInto(opened, key, nonce, sealed), true, `n ${n}`);
      assert.deepEqual(opened, plainCopy, `n ${n}`);
      assert.deepEqual(sealed, sealedCopy, `n ${n}`);
      assert.equal(opened.buffer.byteLength, n, `n ${n}`);
    }
  }
});
