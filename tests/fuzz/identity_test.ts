/**
 * Adversarial input for core/identity: MeteorID texts (random, every
 * substitution, transposition, insertion and deletion), identity documents
 * (random bytes, every single-byte flip, every truncation, length fields set
 * to huge values, forged self-consistent documents, replayed expired ones)
 * and their text form. Parsing fails with E_BAD_ID, E_MALFORMED or
 * E_TOO_LARGE; a document that parses but was tampered fails verification.
 */
import assert from "node:assert/strict";
import { concat, toBase64, toHex } from "../../core/bytes.ts";
import type { ErrorCode } from "../../core/errors.ts";
import { ED25519_PUBLIC_KEY_LENGTH, MLDSA65_PUBLIC_KEY_LENGTH } from "../../core/crypto/sign.ts";
import { XWING_PUBLIC_KEY_LENGTH } from "../../core/crypto/xwing.ts";
import {
  createDocument,
  deriveKeys,
  DOCUMENT_TEXT_PREFIX,
  encodeDocument,
  formatMeteorId,
  type IdentityDocument,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_TEXT_LENGTH,
  meteorIdOf,
  type NodeKeys,
  parseDocument,
  parseDocumentText,
  parseMeteorId,
  peerIdOf,
  readDocument,
  verifyDocument,
} from "../../core/identity/mod.ts";
import { assertCode, assertNoSecret, expectCode, flipped, outcome, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const SEED = new Uint8Array(32).fill(0x42);
const NOW = 1_800_000_000_000;
const PARSE_CODES: ErrorCode[] = ["E_MALFORMED", "E_TOO_LARGE"];
const VERIFY_CODES: ErrorCode[] = ["E_ID_MISMATCH", "E_BAD_KEY", "E_BAD_SIGNATURE", "E_EXPIRED"];
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

let fixture: Promise<{ keys: NodeKeys; doc: IdentityDocument; bytes: Uint8Array }> | undefined;

/** One node's keys and a signed document with two addresses, made once. */
function signed() {
  fixture ??= (async () => {
    const keys = await deriveKeys(SEED);
    const doc = await createDocument(keys, {
      addresses: ["/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4001/ws"],
      issuedAt: NOW - 1000,
      expiresAt: NOW + 60_000,
    });
    return { keys, doc, bytes: encodeDocument(doc) };
  })();
  return fixture;
}

/** Byte offsets of the document fields (docs/identity.md §4). */
function layout(bytes: Uint8Array) {
  const peerIdLength = 4 + 1 + 32 + ED25519_PUBLIC_KEY_LENGTH + XWING_PUBLIC_KEY_LENGTH +
    MLDSA65_PUBLIC_KEY_LENGTH;
  const sequence = peerIdLength + 1 + bytes[peerIdLength];
  const count = sequence + 24;
  return {
    version: 4,
    peerIdLength,
    sequence,
    issuedAt: sequence + 8,
    expiresAt: sequence + 16,
    count,
  };
}

/** Parses then verifies; requires that one of them refuses `bytes`. */
async function expectRejected(bytes: Uint8Array, what: string): Promise<void> {
  const parsed = await outcome(() => parseDocument(bytes), what);
  if (!parsed.ok) {
    assertCode(parsed.error, PARSE_CODES, `parseDocument: ${what}`);
    return;
  }
  await expectCode(
    () => verifyDocument(parsed.value, { now: NOW }),
    VERIFY_CODES,
    `verify: ${what}`,
  );
}

Deno.test("parseMeteorId() refuses random strings and every typo with E_BAD_ID", async () => {
  const prng = new Prng("meteor id");
  const { keys } = await signed();
  const id = formatMeteorId(keys.meteorId);
  assert.deepEqual(parseMeteorId(id), keys.meteorId);
  assert.deepEqual(parseMeteorId(id.toUpperCase()), keys.meteorId);
  const inputs: unknown[] = [
    "",
    "meteor1",
    id.slice(0, 64),
    id + "q",
    id.slice(0, 10) + id.slice(10).toUpperCase(),
    id.replace("meteor", "meteos"),
    ` ${id}`,
    `${id.slice(0, 64)}\n`,
    formatMeteorId(keys.meteorId).replace(/^meteor/, "metoer"),
    "meteor1" + "q".repeat(58),
    123,
    null,
    undefined,
    { toString: () => id },
    [id],
  ];
  for (let i = 7; i < id.length; i++) {
    for (const c of BECH32) if (c !== id[i]) inputs.push(id.slice(0, i) + c + id.slice(i + 1));
    inputs.push(id.slice(0, i) + id.slice(i + 1)); // Deletion.
    inputs.push(id.slice(0, i) + prng.pick([...BECH32]) + id.slice(i)); // Insertion.
    if (i + 1 < id.length && id[i] !== id[i + 1]) {
      inputs.push(id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2)); // Transposition.
    }
  }
  for (let i = 0; i < 500; i++) {
    const length = prng.pick([65, 65, prng.range(0, 120)]);
    const alphabet = prng.chance(0.7) ? BECH32 : BECH32 + "bio1BIO!é\0 \n";
    inputs.push(prng.pick(["meteor1", "", "METEOR1"]) + prng.string(length - 7, alphabet));
  }
  for (const [i, input] of inputs.entries()) {
    const what = `input ${i} ${JSON.stringify(input)} ${seedNote(prng.seed)}`;
    const err = await expectCode(() => parseMeteorId(input as string), ["E_BAD_ID"], what);
    if (typeof input === "string" && input.length > 8) assertNoSecret(err, [input], what);
  }
});

Deno.test("parseDocument() refuses random bytes with E_MALFORMED or E_TOO_LARGE", async () => {
  const prng = new Prng("document random");
  const { bytes } = await signed();
  for (let i = 0; i < 300; i++) {
    const prefix = prng.pick([new Uint8Array(0), bytes.subarray(0, 5), bytes.subarray(0, 3300)]);
    const input = concat(
      prefix,
      prng.bytes(prng.pick([0, 1, 100, 3400, 7000, prng.range(0, 17_000)])),
    );
    const what = `random document ${i} ${seedNote(prng.seed)}`;
    await expectCode(() => parseDocument(input), PARSE_CODES, what);
  }
  await expectCode(
    () => parseDocument(new Uint8Array(MAX_DOCUMENT_BYTES + 1)),
    ["E_TOO_LARGE"],
    "16 KiB + 1",
  );
  await expectCode(() => parseDocument(new Uint8Array(64 << 20)), ["E_TOO_LARGE"], "64 MiB");
  assert.throws(() => parseDocument("MTRD" as unknown as Uint8Array), TypeError);
});

Deno.test("parseDocument() refuses every truncation and any trailing byte", async () => {
  const { bytes } = await signed();
  for (let n = 0; n < bytes.length; n++) {
    await expectCode(
      () => parseDocument(bytes.subarray(0, n)),
      ["E_MALFORMED"],
      `first ${n} bytes`,
    );
  }
  for (const extra of [1, 2, 100]) {
    await expectCode(
      () => parseDocument(concat(bytes, new Uint8Array(extra))),
      ["E_MALFORMED"],
      `${extra} trailing bytes`,
    );
  }
});

Deno.test("parseDocument() and verifyDocument() refuse every single-byte flip", async () => {
  const prng = new Prng("document flips");
  const { bytes } = await signed();
  // Every byte once with 0x01; a random mask on a sample of them.
  for (let i = 0; i < bytes.length; i++) {
    await expectRejected(flipped(bytes, i), `byte ${i} ^ 0x01`);
  }
  for (let k = 0; k < 300; k++) {
    const i = prng.int(bytes.length);
    const mask = prng.nonZeroByte();
    await expectRejected(
      flipped(bytes, i, mask),
      `byte ${i} ^ 0x${mask.toString(16)} ${seedNote(prng.seed)}`,
    );
  }
});

Deno.test("parseDocument() refuses length and count fields set to huge or zero values", async () => {
  const { bytes } = await signed();
  const at = layout(bytes);
  const set = (offset: number, values: number[]) => {
    const out = bytes.slice();
    out.set(values, offset);
    return out;
  };
  const ff8 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  const cases: [string, Uint8Array][] = [
    ["version 0", set(at.version, [0])],
    ["version 255", set(at.version, [255])],
    ["magic", set(0, [0x4d, 0x54, 0x52, 0x44 ^ 0x20])],
    ["PeerId length 255", set(at.peerIdLength, [255])],
    ["PeerId length 0", set(at.peerIdLength, [0])],
    ["sequence 2^64 - 1", set(at.sequence, ff8)],
    ["issuedAt 2^64 - 1", set(at.issuedAt, ff8)],
    ["expiresAt 2^64 - 1", set(at.expiresAt, ff8)],
    ["sequence 2^53", set(at.sequence, [0, 0x20, 0, 0, 0, 0, 0, 0])],
    ["expiresAt 0", set(at.expiresAt, [0, 0, 0, 0, 0, 0, 0, 0])],
    ["address count 17", set(at.count, [17])],
    ["address count 255", set(at.count, [255])],
    ["address count 0", set(at.count, [0])],
    ["address count 3", set(at.count, [3])],
    ["address length 0xffff", set(at.count + 1, [0xff, 0xff])],
    ["address length 257", set(at.count + 1, [0x01, 0x01])],
    ["address length 0", set(at.count + 1, [0, 0])],
  ];
  for (const [name, input] of cases) await expectRejected(input, name);
});

Deno.test("verifyDocument() refuses forged, self-consistent documents", async () => {
  const prng = new Prng("document forgery");
  const { keys, doc, bytes } = await signed();
  const other = await createDocument(await deriveKeys(new Uint8Array(32).fill(7)), {
    issuedAt: NOW - 1000,
    expiresAt: NOW + 60_000,
  });
  /** A document whose MeteorID is the hash of `publicKeys` and whose PeerId matches. */
  const forge = (publicKeys: IdentityDocument["publicKeys"], signature: Uint8Array) => ({
    ...doc,
    publicKeys,
    meteorId: meteorIdOf(publicKeys),
    peerId: peerIdOf(publicKeys.ed25519),
    signature,
  });
  const cases: [string, IdentityDocument][] = [];
  for (let i = 0; i < 20; i++) {
    const ed25519 = prng.bytes(32);
    cases.push([
      `random keys and signature ${i}`,
      forge({ ed25519, xwing: keys.publicKeys.xwing, mldsa65: prng.bytes(1952) }, prng.bytes(3373)),
    ]);
  }
  cases.push(
    ["another node's keys, this signature", forge(other.publicKeys, doc.signature)],
    ["this node's keys, another's signature", forge(doc.publicKeys, other.signature)],
    [
      "ML-DSA half of another signature",
      forge(
        doc.publicKeys,
        concat(other.signature.subarray(0, 3309), doc.signature.subarray(3309)),
      ),
    ],
    [
      "Ed25519 half of another signature",
      forge(
        doc.publicKeys,
        concat(doc.signature.subarray(0, 3309), other.signature.subarray(3309)),
      ),
    ],
    ["zero signature", forge(doc.publicKeys, new Uint8Array(3373))],
    ["random X-Wing key", forge({ ...doc.publicKeys, xwing: prng.bytes(1216) }, doc.signature)],
    [
      "all-0xff X-Wing key",
      forge({ ...doc.publicKeys, xwing: new Uint8Array(1216).fill(0xff) }, doc.signature),
    ],
    ["another node's PeerId", { ...doc, peerId: other.peerId }],
    ["another node's MeteorID", { ...doc, meteorId: other.meteorId }],
    ["more addresses than signed", {
      ...doc,
      addresses: [...doc.addresses, "/ip4/10.0.0.1/tcp/1"],
    }],
    ["later expiry than signed", { ...doc, expiresAt: doc.expiresAt + 1 }],
  );
  for (const [name, forged] of cases) {
    await expectCode(() => verifyDocument(forged, { now: NOW }), VERIFY_CODES, name);
    // The same forgery, round-tripped through the wire encoding.
    const encoded = await outcome(() => encodeDocument(forged), name);
    if (encoded.ok) {
      await expectCode(
        () => readDocument(encoded.value, { now: NOW }),
        VERIFY_CODES,
        `bytes: ${name}`,
      );
    }
  }
  // A genuine document replayed after expiry, or offered for someone else.
  await expectCode(
    () => readDocument(bytes, { now: NOW + 60_000 }),
    ["E_EXPIRED"],
    "expired replay",
  );
  await expectCode(
    () => readDocument(bytes, { now: NOW, expectedId: other.meteorId }),
    ["E_ID_MISMATCH"],
    "expected another ID",
  );
  await expectCode(
    () => readDocument(bytes, { now: NOW, expectedId: new Uint8Array(0) }),
    ["E_ID_MISMATCH"],
    "expected an empty ID",
  );
  await readDocument(bytes, { now: NOW });
});

Deno.test("parseDocumentText() refuses random and mutated text, and never echoes the seed", async () => {
  const prng = new Prng("document text");
  const { bytes } = await signed();
  const text = DOCUMENT_TEXT_PREFIX + toBase64(bytes);
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const inputs: string[] = [
    "",
    DOCUMENT_TEXT_PREFIX,
    DOCUMENT_TEXT_PREFIX + "====",
    DOCUMENT_TEXT_PREFIX + "A===",
    DOCUMENT_TEXT_PREFIX + "AB=A",
    text + "=",
    text.slice(0, -1),
    text.replace("meteor-doc:", "meteor-doc;"),
    text + "AAAA",
    DOCUMENT_TEXT_PREFIX + "A".repeat(MAX_DOCUMENT_TEXT_LENGTH),
    " ".repeat(MAX_DOCUMENT_TEXT_LENGTH + 1),
    DOCUMENT_TEXT_PREFIX + toBase64(new Uint8Array(MAX_DOCUMENT_BYTES + 3)),
  ];
  for (let i = 0; i < 200; i++) {
    inputs.push(
      prng.pick([DOCUMENT_TEXT_PREFIX, "", "meteor-"]) +
        prng.string(prng.range(0, 400) * 4, b64 + "= \n"),
    );
  }
  for (let k = 0; k < 300; k++) {
    const i = prng.range(DOCUMENT_TEXT_PREFIX.length, text.length - 1);
    const c = prng.pick([...b64].filter((ch) => ch !== text[i]));
    inputs.push(text.slice(0, i) + c + text.slice(i + 1));
  }
  const secrets = [toHex(SEED), toBase64(SEED)];
  for (const [i, input] of inputs.entries()) {
    const what = `text ${i} ${seedNote(prng.seed)}`;
    const parsed = await outcome(() => parseDocumentText(input), what);
    if (parsed.ok) {
      const err = await expectCode(
        () => verifyDocument(parsed.value, { now: NOW }),
        VERIFY_CODES,
        what,
      );
      assertNoSecret(err, secrets, what);
    } else {
      assertCode(parsed.error, PARSE_CODES, what);
      assertNoSecret(parsed.error, secrets, what);
    }
  }
  // Whitespace anywhere is allowed, and leaves the document intact.
  const wrapped = text.replace(/(.{76})/g, "$1\r\n ");
  assert.deepEqual(encodeDocument(parseDocumentText(wrapped)), bytes);
  assert.throws(() => parseDocumentText(bytes as unknown as string), TypeError);
});
