import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { fromHex, toHex, utf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { open, seal } from "../../core/crypto/aead.ts";
import { randomBytes as random } from "./_random.ts";

// RFC 8439 §2.8.2
const RFC = {
  key: fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
  nonce: fromHex("070000004041424344454647"),
  aad: fromHex("50515253c0c1c2c3c4c5c6c7"),
  plaintext: utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
      "future, sunscreen would be it.",
  ),
  sealed: "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca96712" +
    "82fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab3" +
    "24e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" +
    "1ae10b594f09e26a7e902ecbd0600691",
};

const assertDecryptFailed = (run: () => unknown, name: string) =>
  assert.throws(run, (err) => isMeteorError(err, "E_DECRYPT_FAILED"), name);

Deno.test("seal() matches the RFC 8439 §2.8.2 vector and open() reverses it", () => {
  const sealed = seal(RFC.key, RFC.nonce, RFC.plaintext, RFC.aad);
  assert.equal(toHex(sealed), RFC.sealed);
  assert.deepEqual(open(RFC.key, RFC.nonce, sealed, RFC.aad), RFC.plaintext);
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
