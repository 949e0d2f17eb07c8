import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { sha3_256 as nobleSha3_256, shake256 as nobleShake256 } from "@noble/hashes/sha3.js";
import { hmac } from "@noble/hashes/hmac.js";
import { expand, extract, hkdf } from "@noble/hashes/hkdf.js";
import { fromHex, toHex, utf8 } from "../../core/bytes.ts";
import {
  hkdfExpandSha256,
  hkdfExtractSha256,
  hkdfSha256,
  hmacSha256,
  sha256,
  sha3_256,
  shake256,
} from "../../core/crypto/hash.ts";
import { randomBytes as random } from "./_random.ts";

Deno.test("hash functions match published vectors", () => {
  const cases: [string, () => Uint8Array, string][] = [
    // FIPS 180-2 appendix B.1
    [
      "sha256(abc)",
      () => sha256(utf8("abc")),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ],
    // FIPS 202 examples (NIST CSRC)
    [
      "sha3_256(abc)",
      () => sha3_256(utf8("abc")),
      "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
    ],
    [
      "shake256('', 32)",
      () => shake256(new Uint8Array(0), 32),
      "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f",
    ],
    // RFC 4231 §4.3 test case 2
    [
      "hmacSha256(Jefe)",
      () => hmacSha256(utf8("Jefe"), utf8("what do ya want for nothing?")),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    // RFC 5869 §A.1 test case 1
    [
      "hkdfSha256(case 1)",
      () =>
        hkdfSha256(
          new Uint8Array(22).fill(0x0b),
          fromHex("000102030405060708090a0b0c"),
          fromHex("f0f1f2f3f4f5f6f7f8f9"),
          42,
        ),
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ],
    // RFC 5869 §A.3 test case 3: empty salt and info
    [
      "hkdfSha256(case 3)",
      () => hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42),
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    ],
  ];
  for (const [name, run, expected] of cases) assert.equal(toHex(run()), expected, name);
});

Deno.test("hash functions agree with @noble/hashes at block boundaries", () => {
  for (const n of [0, 1, 63, 64, 65, 135, 136, 137, 1000]) {
    const data = random(n);
    const key = random(n);
    assert.deepEqual(sha256(data), nobleSha256(data), `sha256 ${n}`);
    assert.deepEqual(sha3_256(data), nobleSha3_256(data), `sha3_256 ${n}`);
    assert.deepEqual(shake256(data, 96), nobleShake256(data, { dkLen: 96 }), `shake256 ${n}`);
    assert.deepEqual(hmacSha256(key, data), hmac(nobleSha256, key, data), `hmac ${n}`);
    assert.deepEqual(
      hkdfSha256(data, key, data, 32 + n),
      hkdf(nobleSha256, data, key, data, 32 + n),
      `hkdf ${n}`,
    );
  }
});

Deno.test("hkdfExtractSha256() and hkdfExpandSha256() match RFC 5869 §A.1 and §A.3", () => {
  const ikm = new Uint8Array(22).fill(0x0b);
  const prk1 = hkdfExtractSha256(fromHex("000102030405060708090a0b0c"), ikm);
  assert.equal(toHex(prk1), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  assert.equal(
    toHex(hkdfExpandSha256(prk1, fromHex("f0f1f2f3f4f5f6f7f8f9"), 42)),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  );
  const prk3 = hkdfExtractSha256(new Uint8Array(0), ikm);
  assert.equal(toHex(prk3), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
});

Deno.test("hkdfExpandSha256() agrees with @noble/hashes at output block boundaries", () => {
  for (const n of [1, 12, 31, 32, 33, 64, 65, 8160]) {
    const salt = random(n % 50), ikm = random(32), info = random(n % 20);
    const prk = hkdfExtractSha256(salt, ikm);
    assert.deepEqual(prk, extract(nobleSha256, ikm, salt), `extract ${n}`);
    assert.deepEqual(hkdfExpandSha256(prk, info, n), expand(nobleSha256, prk, info, n), `${n}`);
  }
});

Deno.test("shake256() gives exactly outLength bytes, 0 included", () => {
  for (const n of [0, 1, 31, 32, 33, 136, 137]) assert.equal(shake256(utf8("x"), n).length, n);
});

Deno.test("hash functions return fresh arrays and leave inputs unchanged", () => {
  const data = random(40);
  const copy = data.slice();
  const a = sha3_256(data);
  a.fill(0);
  assert.deepEqual(data, copy);
  assert.notDeepEqual(sha3_256(data), a);
  assert.equal(sha256(data).constructor, Uint8Array);
});

Deno.test("hash functions reject bad arguments", () => {
  const cases: [string, () => unknown, ErrorConstructor][] = [
    ["shake256 negative", () => shake256(new Uint8Array(1), -1), RangeError],
    ["shake256 fraction", () => shake256(new Uint8Array(1), 1.5), RangeError],
    ["hkdf zero", () => hkdfSha256(random(32), random(0), random(0), 0), RangeError],
    ["hkdf too long", () => hkdfSha256(random(32), random(0), random(0), 8161), RangeError],
    ["expand zero", () => hkdfExpandSha256(random(32), random(0), 0), RangeError],
    ["expand too long", () => hkdfExpandSha256(random(32), random(0), 8161), RangeError],
    ["expand short prk", () => hkdfExpandSha256(random(31), random(0), 32), RangeError],
    ["sha256 string", () => sha256("abc" as unknown as Uint8Array), TypeError],
    ["hmac string key", () => hmacSha256("k" as unknown as Uint8Array, random(1)), TypeError],
  ];
  for (const [name, run, type] of cases) assert.throws(run, type, name);
  assert.equal(hkdfSha256(random(32), random(0), random(0), 8160).length, 8160);
});

Deno.test("digests and MACs are handed over in the native digest's buffer, not copied", () => {
  // Records every digest() result, so the test sees the native buffer that
  // would stay behind unwiped if the result were a copy.
  const digests: Uint8Array[] = [];
  const key = new Uint8Array(32).fill(1);
  const prototypes = [
    Object.getPrototypeOf(createHash("sha256")),
    Object.getPrototypeOf(createHmac("sha256", key)),
  ];
  const originals = prototypes.map((p) => p.digest);
  prototypes.forEach((p, i) => {
    p.digest = function (...args: unknown[]) {
      const out = originals[i].apply(this, args);
      digests.push(out);
      return out;
    };
  });
  try {
    const data = new Uint8Array(5);
    const cases: [string, () => Uint8Array][] = [
      ["sha256", () => sha256(data)],
      ["sha3_256", () => sha3_256(data)],
      ["hmacSha256", () => hmacSha256(key, data)],
      ["hkdfExtractSha256", () => hkdfExtractSha256(key, data)],
    ];
    for (const [name, fn] of cases) {
      digests.length = 0;
      const r = fn();
      // The last digest() is the one returned (an HMAC's inner hashes come first).
      assert.ok(digests.length >= 1, name);
      assert.equal(r.buffer, digests.at(-1)!.buffer, `${name}: the result is a copy`);
      assert.equal(Object.getPrototypeOf(r), Uint8Array.prototype, name);
    }
  } finally {
    prototypes.forEach((p, i) => p.digest = originals[i]);
  }
});
