import assert from "node:assert/strict";
import { bech32, bech32m } from "@scure/base";
import { sha3_256 } from "@noble/hashes/sha3.js";
import { fromHex } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import {
  computeMeteorId,
  encodePublicKeyBundle,
  formatMeteorId,
  looksLikeMeteorId,
  METEOR_ID_TEXT_LENGTH,
  meteorIdOf,
  parseMeteorId,
} from "../../core/identity/mod.ts";

const BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const ID = crypto.getRandomValues(new Uint8Array(32));
const TEXT = formatMeteorId(ID);

function assertBadId(text: string, message?: string): void {
  assert.throws(() => parseMeteorId(text), (err) => isMeteorError(err, "E_BAD_ID"), message);
}

Deno.test("formatMeteorId() and parseMeteorId() round-trip", () => {
  for (const id of [new Uint8Array(32), new Uint8Array(32).fill(0xff), ID]) {
    const text = formatMeteorId(id);
    assert.equal(text.length, METEOR_ID_TEXT_LENGTH);
    assert.match(text, /^meteor1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
    assert.deepEqual(parseMeteorId(text), id);
  }
});

Deno.test("formatMeteorId() rejects IDs that are not 32 bytes", () => {
  for (const length of [0, 31, 33]) {
    assert.throws(() => formatMeteorId(new Uint8Array(length)), RangeError);
  }
});

Deno.test("parseMeteorId() detects every single-character substitution", () => {
  let tried = 0;
  for (let i = 0; i < TEXT.length; i++) {
    // Every other Bech32 character, plus characters outside the alphabet (b, i, o, 1, upper case).
    for (const c of BECH32_ALPHABET + "bio1B-_ ") {
      if (c === TEXT[i]) continue;
      assertBadId(TEXT.slice(0, i) + c + TEXT.slice(i + 1), `position ${i}, "${c}"`);
      tried++;
    }
  }
  assert.ok(tried > 65 * 30);
});

Deno.test("parseMeteorId() detects swapped neighbours, a dropped and an extra character", () => {
  for (let i = 0; i < TEXT.length - 1; i++) {
    if (TEXT[i] === TEXT[i + 1]) continue;
    assertBadId(TEXT.slice(0, i) + TEXT[i + 1] + TEXT[i] + TEXT.slice(i + 2), `swap at ${i}`);
  }
  for (let i = 0; i < TEXT.length; i++) {
    assertBadId(TEXT.slice(0, i) + TEXT.slice(i + 1), `drop at ${i}`);
    assertBadId(TEXT.slice(0, i) + "q" + TEXT.slice(i), `insert at ${i}`);
  }
});

Deno.test("parseMeteorId() accepts all upper case and rejects mixed case", () => {
  assert.deepEqual(parseMeteorId(TEXT.toUpperCase()), ID);
  assertBadId(TEXT.slice(0, 10) + TEXT.slice(10).toUpperCase());
  assertBadId("METEOR" + TEXT.slice(6));
});

Deno.test("parseMeteorId() rejects malformed texts", () => {
  const words = bech32m.toWords(ID);
  const nonZeroPadding = [...words.slice(0, -1), words[words.length - 1] | 1];
  const cases: [string, string][] = [
    ["empty", ""],
    ["whitespace around", ` ${TEXT}`],
    ["trailing newline", `${TEXT}\n`],
    ["other prefix, valid checksum", bech32m.encode("meteos", words)],
    ["bech32 instead of bech32m", bech32.encode("meteor", words)],
    ["non-zero padding bits", bech32m.encode("meteor", nonZeroPadding)],
    ["31 bytes", bech32m.encode("meteor", bech32m.toWords(ID.subarray(1)))],
    ["33 bytes", bech32m.encode("meteor", bech32m.toWords(new Uint8Array([...ID, 0])))],
    ["no separator", TEXT.replace("1", "q")],
    ["non-ASCII", TEXT.slice(0, -1) + "\u00e9"],
  ];
  for (const [name, text] of cases) assertBadId(text, name);
  assert.throws(
    () => parseMeteorId(42 as unknown as string),
    (err) => isMeteorError(err, "E_BAD_ID"),
  );
});

Deno.test("meteorIdOf() hashes the bundle and changes with every key", () => {
  const keys = {
    ed25519: new Uint8Array(32),
    xwing: new Uint8Array(1216),
    mldsa65: new Uint8Array(1952),
  };
  const base = meteorIdOf(keys);
  assert.equal(base.length, 32);
  assert.equal(encodePublicKeyBundle(keys).length, 21 + 32 + 1216 + 1952);
  for (const name of ["ed25519", "xwing", "mldsa65"] as const) {
    const changed = { ...keys, [name]: keys[name].slice() };
    changed[name][keys[name].length - 1] = 1;
    assert.notDeepEqual(meteorIdOf(changed), base, name);
  }
});

Deno.test("encodePublicKeyBundle() rejects keys of the wrong length", () => {
  const keys = {
    ed25519: new Uint8Array(32),
    xwing: new Uint8Array(1216),
    mldsa65: new Uint8Array(1952),
  };
  for (const name of ["ed25519", "xwing", "mldsa65"] as const) {
    for (const delta of [-1, 1]) {
      const bad = { ...keys, [name]: new Uint8Array(keys[name].length + delta) };
      assert.throws(() => encodePublicKeyBundle(bad), RangeError, `${name} ${delta}`);
    }
  }
});

Deno.test("looksLikeMeteorId() tests the meteor1 prefix in any case", () => {
  const cases: [string, boolean][] = [
    [TEXT, true],
    [TEXT.toUpperCase(), true], // a QR code's form (docs/identity.md §3)
    ["Meteor1x", true], // mixed case: meant as an ID, which parseMeteorId() then refuses
    ["meteor1", true],
    ["meteor", false],
    ["meteor-doc:AAAA", false],
    [" " + TEXT, false],
    ["alice", false],
    ["", false],
  ];
  for (const [text, expected] of cases) assert.equal(looksLikeMeteorId(text), expected, text);
});

Deno.test("computeMeteorId() (native SHA3-256) equals meteorIdOf(), @noble's SHA3-256 and the vectors", async () => {
  const file = JSON.parse(
    await Deno.readTextFile(new URL("../vectors/meteor/identity.json", import.meta.url)),
  );
  const vectors = file.vectors as Record<string, string>[];
  assert.ok(vectors.length > 0, "identity.json holds no vectors");
  for (const v of vectors) {
    const keys = {
      ed25519: fromHex(v.ed25519PublicKey),
      xwing: fromHex(v.xwingPublicKey),
      mldsa65: fromHex(v.mldsa65PublicKey),
    };
    const id = await computeMeteorId(keys);
    assert.deepEqual(id, fromHex(v.meteorId), v.name);
    assert.deepEqual(id, meteorIdOf(keys));
    assert.deepEqual(id, sha3_256(encodePublicKeyBundle(keys)));
  }
  await assert.rejects(
    computeMeteorId({
      ed25519: new Uint8Array(31),
      xwing: new Uint8Array(0),
      mldsa65: new Uint8Array(0),
    }),
    RangeError,
  );
});

Deno.test("formatMeteorId() and parseMeteorId() agree with @scure/base's Bech32m", () => {
  for (let i = 0; i < 64; i++) {
    const id = crypto.getRandomValues(new Uint8Array(32));
    const text = bech32m.encode("meteor", bech32m.toWords(id));
    assert.equal(formatMeteorId(id), text);
    assert.deepEqual(parseMeteorId(text), id);
    assert.deepEqual(parseMeteorId(text.toUpperCase()), id);
  }
});
