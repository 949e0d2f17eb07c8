import assert from "node:assert/strict";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { concat, fromBase64, toBase64 } from "../../core/bytes.ts";
import { hybridSignedBytes, MLDSA65_SIGNATURE_LENGTH } from "../../core/crypto/sign.ts";
import { type ErrorCode, isMeteorError } from "../../core/errors.ts";
import {
  createDocument,
  DEFAULT_DOCUMENT_LIFETIME_MS,
  deriveKeys,
  DOCUMENT_SIGNATURE_CONTEXT,
  encodeDocument,
  formatDocument,
  type IdentityDocument,
  MAX_ADDRESS_LENGTH,
  MAX_ADDRESSES,
  MAX_CLOCK_SKEW_MS,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_LIFETIME_MS,
  parseDocument,
  parseDocumentText,
  readDocument,
  verifyDocument,
} from "../../core/identity/mod.ts";

const NOW = 1_800_000_000_000;
const KEYS = await deriveKeys(new Uint8Array(32).fill(7));
const OTHER = await deriveKeys(new Uint8Array(32).fill(8));
const ADDRESSES = ["/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/tcp/4002/ws"];
const DOC = await createDocument(KEYS, { addresses: ADDRESSES, issuedAt: NOW, sequence: 5 });
const BYTES = encodeDocument(DOC);

/** Offset of the signature: every byte before it is signed. */
const SIGNATURE_OFFSET = BYTES.length - DOC.signature.length;

async function assertCode(promise: Promise<unknown>, code: ErrorCode, message?: string) {
  await assert.rejects(promise, (err) => isMeteorError(err, code), message);
}

function assertThrowsCode(fn: () => unknown, code: ErrorCode, message?: string) {
  assert.throws(fn, (err) => isMeteorError(err, code), message);
}

Deno.test("createDocument() fills in the node's keys, IDs and defaults", async () => {
  const doc = await createDocument(KEYS, { issuedAt: NOW });
  assert.deepEqual(doc.meteorId, KEYS.meteorId);
  assert.deepEqual(doc.publicKeys, KEYS.publicKeys);
  assert.equal(doc.peerId, KEYS.peerId);
  assert.deepEqual(doc.addresses, []);
  assert.equal(doc.sequence, NOW);
  assert.equal(doc.expiresAt, NOW + DEFAULT_DOCUMENT_LIFETIME_MS);
  await verifyDocument(doc, { now: NOW });
});

Deno.test("encodeDocument() and parseDocument() round-trip, then verify", async () => {
  const parsed = parseDocument(BYTES);
  assert.deepEqual(parsed, DOC);
  assert.deepEqual(encodeDocument(parsed), BYTES);
  await verifyDocument(parsed, { now: NOW, expectedId: KEYS.meteorId });
});

Deno.test("formatDocument() and parseDocumentText() round-trip, wrapped text too", async () => {
  const text = formatDocument(DOC);
  assert.ok(text.startsWith("meteor-doc:"));
  assert.deepEqual(parseDocumentText(text), DOC);
  const wrapped = text.replace(/.{64}/g, "$&\n") + "\n";
  assert.deepEqual(await readDocument(wrapped, { now: NOW }), DOC);
  assert.deepEqual(await readDocument(BYTES, { now: NOW }), DOC);
});

Deno.test("createDocument() signs with both algorithms: @noble verifies each half", () => {
  const signed = hybridSignedBytes(DOCUMENT_SIGNATURE_CONTEXT, BYTES.subarray(0, SIGNATURE_OFFSET));
  const ml = DOC.signature.subarray(0, MLDSA65_SIGNATURE_LENGTH);
  const ed = DOC.signature.subarray(MLDSA65_SIGNATURE_LENGTH);
  assert.ok(ml_dsa65.verify(ml, signed, KEYS.publicKeys.mldsa65));
  assert.ok(ed25519.verify(ed, signed, KEYS.publicKeys.ed25519));
});

Deno.test("parseDocument() or verifyDocument() rejects a flipped byte anywhere", async () => {
  // Every byte outside the big keys and signature, and a stride through those.
  const positions = [];
  for (let i = 0; i < BYTES.length; i++) {
    if (i < 80 || (i > 3200 && i < 3400) || i % 97 === 0 || i >= BYTES.length - 2) {
      positions.push(i);
    }
  }
  for (const i of positions) {
    const bad = BYTES.slice();
    bad[i] ^= 0x01;
    let rejected = false;
    try {
      await verifyDocument(parseDocument(bad), { now: NOW });
    } catch (err) {
      assert.ok(isMeteorError(err), `byte ${i}: ${err}`);
      rejected = true;
    }
    assert.ok(rejected, `flipped byte ${i} was accepted`);
  }
});

Deno.test("verifyDocument() rejects a forged half: one signature valid, the other forged", async () => {
  const signed = hybridSignedBytes(DOCUMENT_SIGNATURE_CONTEXT, BYTES.subarray(0, SIGNATURE_OFFSET));
  const ml = DOC.signature.subarray(0, MLDSA65_SIGNATURE_LENGTH);
  const ed = DOC.signature.subarray(MLDSA65_SIGNATURE_LENGTH);
  const forgedEd = ed25519.sign(signed, OTHER.seeds.ed25519);
  const forgedMl = ml_dsa65.sign(signed, ml_dsa65.keygen(OTHER.seeds.mldsa65).secretKey);
  for (const signature of [concat(ml, forgedEd), concat(forgedMl, ed)]) {
    await assertCode(verifyDocument({ ...DOC, signature }, { now: NOW }), "E_BAD_SIGNATURE");
  }
});

Deno.test("verifyDocument() rejects a field changed after signing", async () => {
  const cases: [string, Partial<IdentityDocument>][] = [
    ["sequence", { sequence: DOC.sequence + 1 }],
    ["expiresAt", { expiresAt: DOC.expiresAt + 1 }],
    ["addresses", { addresses: ["/ip4/192.0.2.1/tcp/1"] }],
    ["no addresses", { addresses: [] }],
  ];
  for (const [name, change] of cases) {
    await assertCode(verifyDocument({ ...DOC, ...change }, { now: NOW }), "E_BAD_SIGNATURE", name);
  }
});

Deno.test("verifyDocument() rejects keys that do not match the ID with E_ID_MISMATCH", async () => {
  // A stranger's keys under our ID, signed by the stranger.
  const stolenId = await createDocument(OTHER, { issuedAt: NOW });
  stolenId.meteorId = KEYS.meteorId.slice();
  const cases: [string, IdentityDocument, Uint8Array | undefined][] = [
    ["stranger's keys, our ID", stolenId, undefined],
    ["one key swapped", {
      ...DOC,
      publicKeys: { ...DOC.publicKeys, xwing: OTHER.publicKeys.xwing },
    }, undefined],
    ["wrong PeerId", { ...DOC, peerId: OTHER.peerId }, undefined],
    ["valid document, other expected ID", DOC, OTHER.meteorId],
  ];
  for (const [name, doc, expectedId] of cases) {
    await assertCode(verifyDocument(doc, { now: NOW, expectedId }), "E_ID_MISMATCH", name);
  }
});

Deno.test("verifyDocument() rejects an expired document with E_EXPIRED", async () => {
  await verifyDocument(DOC, { now: DOC.expiresAt - 1 });
  await assertCode(verifyDocument(DOC, { now: DOC.expiresAt }), "E_EXPIRED");
  await assertCode(verifyDocument(DOC, { now: DOC.expiresAt + 1 }), "E_EXPIRED");
  const old = await createDocument(KEYS, { issuedAt: 1000, expiresAt: 2000 });
  await assertCode(verifyDocument(old), "E_EXPIRED");
});

Deno.test("verifyDocument() refuses issuedAt beyond the clock skew: n-1, n accepted, n+1 E_EXPIRED", async () => {
  assert.equal(MAX_CLOCK_SKEW_MS, 300_000);
  const cases: [string, number, boolean][] = [
    ["issued now", NOW, true],
    ["skew - 1 ms ahead", NOW - MAX_CLOCK_SKEW_MS + 1, true],
    ["exactly the skew ahead", NOW - MAX_CLOCK_SKEW_MS, true],
    ["skew + 1 ms ahead", NOW - MAX_CLOCK_SKEW_MS - 1, false],
    ["a day ahead", NOW - 86_400_000, false],
  ];
  for (const [name, now, accepted] of cases) {
    const verifying = verifyDocument(DOC, { now });
    if (accepted) await verifying;
    else await assertCode(verifying, "E_EXPIRED", name);
  }
});

/** Offset of the expiresAt field (u64) in BYTES. */
const EXPIRES_OFFSET = 4 + 1 + 32 + 32 + 1216 + 1952 + 1 + DOC.peerId.length + 16;

Deno.test("createDocument() and parseDocument() bound the lifetime: n-1, n accepted, n+1 E_MALFORMED", async () => {
  assert.equal(MAX_DOCUMENT_LIFETIME_MS, 365 * 86_400_000);
  const cases: [string, number, boolean][] = [
    ["max - 1", MAX_DOCUMENT_LIFETIME_MS - 1, true],
    ["max", MAX_DOCUMENT_LIFETIME_MS, true],
    ["max + 1", MAX_DOCUMENT_LIFETIME_MS + 1, false],
    ["2^53 - 1 ms", Number.MAX_SAFE_INTEGER - NOW, false],
  ];
  for (const [name, lifetime, accepted] of cases) {
    const fields = { issuedAt: NOW, expiresAt: NOW + lifetime };
    const bytes = BYTES.slice();
    new DataView(bytes.buffer).setBigUint64(EXPIRES_OFFSET, BigInt(NOW + lifetime));
    if (accepted) {
      const doc = await createDocument(KEYS, fields);
      await verifyDocument(doc, { now: NOW + lifetime - 1 });
      assert.equal(parseDocument(bytes).expiresAt, NOW + lifetime, name);
    } else {
      await assertCode(createDocument(KEYS, fields), "E_MALFORMED", name);
      assertThrowsCode(() => parseDocument(bytes), "E_MALFORMED", name);
    }
  }
});

Deno.test("parseDocument() enforces size bounds with E_TOO_LARGE", () => {
  assertThrowsCode(
    () => parseDocument(new Uint8Array(MAX_DOCUMENT_BYTES + 1)),
    "E_TOO_LARGE",
    "total size",
  );
  assertThrowsCode(() => parseDocumentText("meteor-doc:" + "A".repeat(40_000)), "E_TOO_LARGE");
  // An address count or length past the bound, in otherwise valid bytes.
  const countOffset = 4 + 1 + 32 + 32 + 1216 + 1952 + 1 + DOC.peerId.length + 24;
  assert.equal(BYTES[countOffset], ADDRESSES.length);
  const tooMany = BYTES.slice();
  tooMany[countOffset] = MAX_ADDRESSES + 1;
  assertThrowsCode(() => parseDocument(tooMany), "E_TOO_LARGE", "address count");
  const tooLong = BYTES.slice();
  tooLong[countOffset + 1] = (MAX_ADDRESS_LENGTH + 1) >> 8;
  tooLong[countOffset + 2] = (MAX_ADDRESS_LENGTH + 1) & 0xff;
  assertThrowsCode(() => parseDocument(tooLong), "E_TOO_LARGE", "address length");
});

Deno.test("createDocument() enforces bounds: addresses n-1, n accepted, n+1 refused", async () => {
  const address = "/dns4/" + "a".repeat(MAX_ADDRESS_LENGTH - 12) + "/tcp/1";
  assert.equal(address.length, MAX_ADDRESS_LENGTH);
  for (const count of [0, MAX_ADDRESSES - 1, MAX_ADDRESSES]) {
    const doc = await createDocument(KEYS, { addresses: Array(count).fill(address) });
    assert.ok(encodeDocument(doc).length <= MAX_DOCUMENT_BYTES);
    await readDocument(encodeDocument(doc));
  }
  await assertCode(
    createDocument(KEYS, { addresses: Array(MAX_ADDRESSES + 1).fill("/a") }),
    "E_TOO_LARGE",
  );
  await assertCode(createDocument(KEYS, { addresses: [address + "1"] }), "E_TOO_LARGE");
});

Deno.test("createDocument() refuses malformed fields with E_MALFORMED", async () => {
  const cases: [string, Parameters<typeof createDocument>[1]][] = [
    ["expiry before issue", { issuedAt: NOW, expiresAt: NOW }],
    ["negative sequence", { sequence: -1 }],
    ["fractional time", { issuedAt: 1.5 }],
    ["address without slash", { addresses: ["ip4/1.2.3.4"] }],
    ["address with space", { addresses: ["/ip4/1.2.3.4 "] }],
    ["empty address", { addresses: [""] }],
  ];
  for (const [name, fields] of cases) {
    await assertCode(createDocument(KEYS, fields), "E_MALFORMED", name);
  }
});

Deno.test("parseDocument() rejects malformed bytes with E_MALFORMED", () => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["wrong magic", concat(new TextEncoder().encode("XTRD"), BYTES.subarray(4))],
    ["version 2", concat(BYTES.subarray(0, 4), new Uint8Array([2]), BYTES.subarray(5))],
    ["truncated by one", BYTES.subarray(0, BYTES.length - 1)],
    ["truncated in the keys", BYTES.subarray(0, 1000)],
    ["one trailing byte", concat(BYTES, new Uint8Array([0]))],
  ];
  for (const [name, bytes] of cases) {
    assertThrowsCode(() => parseDocument(bytes), "E_MALFORMED", name);
  }
});

Deno.test("parseDocumentText() rejects texts that are not a document", () => {
  const text = formatDocument(DOC);
  const cases: [string, string][] = [
    ["no prefix", text.slice("meteor-doc:".length)],
    ["other prefix", "meteor-id:" + text.slice("meteor-doc:".length)],
    ["not base64", text.slice(0, -4) + "!!!!"],
    ["bad padding length", text.slice(0, -1)],
    ["base64 of garbage", "meteor-doc:" + toBase64(new Uint8Array(100))],
  ];
  for (const [name, t] of cases) assertThrowsCode(() => parseDocumentText(t), "E_MALFORMED", name);
  assert.deepEqual(fromBase64(text.slice(11)), BYTES);
});

Deno.test("verifyDocument() rejects a signature of the wrong length", async () => {
  await assertCode(
    verifyDocument({ ...DOC, signature: DOC.signature.subarray(1) }, { now: NOW }),
    "E_BAD_SIGNATURE",
  );
});

Deno.test("createDocument() re-issues with a higher sequence that verifies", async () => {
  const next = await createDocument(KEYS, { ...DOC, sequence: DOC.sequence + 1 });
  assert.equal(next.sequence, DOC.sequence + 1);
  await verifyDocument(next, { now: NOW });
});

Deno.test("parseDocument() reads a document held in a Node Buffer at an offset of a larger pool", async () => {
  const { Buffer } = await import("node:buffer");
  // A Buffer's slice() is a view, and its bytes sit at a non-zero offset of a bigger buffer.
  const pooled = Buffer.concat([Buffer.from("prefix"), Buffer.from(BYTES)]).subarray(6);
  const parsed = parseDocument(pooled);
  assert.deepEqual(encodeDocument(parsed), BYTES);
  await verifyDocument(parsed, { now: NOW, expectedId: KEYS.meteorId });
});
