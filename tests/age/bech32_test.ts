import assert from "node:assert/strict";
import { bech32 } from "@scure/base";
import {
  bech32Decode,
  bech32DecodeKey,
  bech32Encode,
  MAX_BECH32_LENGTH,
} from "../../core/age/bech32.ts";
import { parseIdentity, parseRecipient } from "../../core/age/mod.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

// BIP 173, "Test vectors": valid checksums.
const VALID = [
  "A12UEL5L",
  "a12uel5l",
  "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
  "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
  "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
  // BIP 173 rejects this one only for its length; age has no length limit.
  "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
];

// BIP 173, "Test vectors": invalid strings, each for its own reason.
const INVALID: [string, string][] = [
  ["\x201nwldj5", "HRP character out of range"],
  ["\x7f1axkwrx", "HRP character out of range"],
  ["pzry9x0s0muk", "no separator"],
  ["1pzry9x0s0muk", "empty HRP"],
  ["x1b4n0q5v", "invalid data character"],
  ["li1dgmt3", "too short checksum"],
  ["de1lg7wt\xff", "invalid character in checksum"],
  ["A1G7SGD8", "checksum calculated with upper-case HRP"],
  ["10a06t8", "empty HRP"],
  ["1qzzfhee", "empty HRP"],
  ["A12uEL5L", "mixed case"],
  ["a12uel5m", "bad checksum"],
];

Deno.test("bech32Decode() accepts the BIP 173 valid checksums, any length", () => {
  for (const text of VALID) {
    const { hrp } = bech32Decode(text);
    assert.equal(hrp, text.slice(0, text.lastIndexOf("1")));
  }
});

Deno.test("bech32Decode() rejects the BIP 173 invalid strings with E_MALFORMED", () => {
  for (const [text, why] of INVALID) {
    assert.throws(() => bech32Decode(text), (e) => isMeteorError(e, "E_MALFORMED"), why);
  }
});

Deno.test("bech32Decode() rejects non-zero padding bits and overlong padding", () => {
  // One byte 0xff is the words [31, 28]; 29 sets a padding bit. Encoded by
  // @scure/base, which takes raw words.
  assert.deepEqual(bech32Decode(bech32.encode("age", [31, 28], false)).data, Uint8Array.of(0xff));
  for (const words of [[31, 29], [31, 28, 0]]) {
    const text = bech32.encode("age", words, false);
    assert.throws(() => bech32Decode(text), (e) => isMeteorError(e, "E_MALFORMED"));
  }
});

Deno.test("bech32Encode() matches @scure/base without its length limit", () => {
  for (const size of [0, 1, 5, 32, 1216]) {
    const data = randomBytes(size);
    assert.equal(
      bech32Encode("age1pq", data),
      bech32.encode("age1pq", bech32.toWords(data), false),
    );
  }
});

Deno.test("bech32Encode() round-trips data of sizes 0, 1, 31, 32, 33 and 1216", () => {
  for (const size of [0, 1, 31, 32, 33, 1216]) {
    const data = randomBytes(size);
    for (const upper of [false, true]) {
      const text = bech32Encode("age1pq", data, upper);
      assert.equal(text, upper ? text.toUpperCase() : text.toLowerCase());
      const decoded = bech32Decode(text);
      assert.deepEqual(decoded.data, data);
      assert.equal(decoded.hrp, upper ? "AGE1PQ" : "age1pq");
    }
  }
});

Deno.test("bech32Encode() rejects an empty or non-printable HRP", () => {
  assert.throws(() => bech32Encode("", new Uint8Array(1)), TypeError);
  assert.throws(() => bech32Encode("a b", new Uint8Array(1)), TypeError);
});

Deno.test("bech32DecodeKey() requires the exact HRP, case and length", () => {
  const key = randomBytes(32);
  const lower = bech32Encode("age", key);
  assert.deepEqual(bech32DecodeKey(lower, "age", 32), key);
  assert.equal(bech32DecodeKey(lower, "age", 33), null);
  assert.equal(bech32DecodeKey(lower.toUpperCase(), "age", 32), null);
  assert.equal(bech32DecodeKey(lower, "agf", 32), null);
  assert.equal(bech32DecodeKey("not bech32", "age", 32), null);
});

Deno.test("bech32Encode() reproduces the age spec X25519 identity encoding", () => {
  const identity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
  const { data } = bech32Decode(identity);
  assert.equal(bech32Encode("AGE-SECRET-KEY-", data, true), identity);
});

Deno.test("bech32Decode() reads MAX_BECH32_LENGTH - 1 and MAX_BECH32_LENGTH characters, refuses one more", () => {
  // 1 + 1 + ceil(8 * n / 5) + 6 characters for hrp "a" and n data bytes.
  const cases: [string, number, number][] = [
    ["a", 2554, MAX_BECH32_LENGTH - 1],
    ["a", 2555, MAX_BECH32_LENGTH],
    ["ab", 2555, MAX_BECH32_LENGTH + 1],
  ];
  for (const [hrp, bytes, length] of cases) {
    const text = bech32Encode(hrp, new Uint8Array(bytes));
    assert.equal(text.length, length);
    if (length <= MAX_BECH32_LENGTH) assert.equal(bech32Decode(text).data.length, bytes);
    else assert.throws(() => bech32Decode(text), (e) => isMeteorError(e, "E_MALFORMED"));
  }
});

Deno.test("parseRecipient() and parseIdentity() refuse a 10 MB key-shaped string", async () => {
  const filler = "q".repeat(10_000_000);
  assert.throws(
    () => parseRecipient(`age1pq1${filler}`),
    (e) => isMeteorError(e, "E_BAD_RECIPIENT"),
  );
  assert.throws(() => parseRecipient(`age1${filler}`), (e) => isMeteorError(e, "E_BAD_RECIPIENT"));
  for (const prefix of ["AGE-SECRET-KEY-PQ-1", "AGE-SECRET-KEY-1"]) {
    await assert.rejects(
      parseIdentity(prefix + filler.toUpperCase()),
      (e) => isMeteorError(e, "E_MALFORMED"),
    );
  }
});
