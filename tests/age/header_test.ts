import assert from "node:assert/strict";
import {
  encodeHeader,
  encodeHeaderWithoutMac,
  headerMac,
  readHeader,
  verifyHeaderMac,
} from "../../core/age/header.ts";
import type { Stanza } from "../../core/age/stanza.ts";
import { ByteReader, streamOf } from "../../core/age/_io.ts";
import { fromUtf8, utf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

const FILE_KEY = randomBytes(16);
const read = (bytes: Uint8Array, max?: number) => readHeader(new ByteReader(streamOf(bytes)), max);
const isInvalid = (e: unknown) => isMeteorError(e, "E_HEADER_INVALID");

Deno.test("encodeHeader() wraps bodies at 64 columns and ends each with a short line", () => {
  const cases: [number, number[]][] = [
    [0, [0]],
    [1, [2]],
    [47, [63]],
    [48, [64, 0]],
    [49, [64, 2]],
    [
      96,
      [64, 64, 0],
    ],
  ];
  for (const [size, lengths] of cases) {
    const text = fromUtf8(encodeHeaderWithoutMac([{ args: ["t"], body: randomBytes(size) }]));
    const lines = text.split("\n");
    assert.deepEqual(lines.slice(2, -1).map((l) => l.length), lengths, `body ${size}`);
    assert.equal(lines.at(-1), "---");
  }
});

Deno.test("readHeader() parses what encodeHeader() writes, and the MAC verifies", async () => {
  const stanzas: Stanza[] = [
    { args: ["X25519", "abc"], body: randomBytes(32) },
    { args: ["example.com/x", "1", "2"], body: randomBytes(0) },
    { args: ["big"], body: randomBytes(1000) },
  ];
  const encoded = encodeHeader(stanzas, FILE_KEY);
  const header = await read(encoded);
  assert.deepEqual(
    header.stanzas.map((s) => [s.args, s.body]),
    stanzas.map((s) => [s.args, s.body]),
  );
  assert.deepEqual(header.macInput, encodeHeaderWithoutMac(stanzas));
  assert.ok(verifyHeaderMac(FILE_KEY, header));
  assert.ok(!verifyHeaderMac(randomBytes(16), header));
  assert.deepEqual(header.mac, headerMac(FILE_KEY, header.macInput));
});

Deno.test("readHeader() leaves the reader at the first payload byte", async () => {
  const encoded = encodeHeader([{ args: ["a"], body: new Uint8Array(5) }], FILE_KEY);
  const reader = new ByteReader(streamOf(new Uint8Array([...encoded, 1, 2, 3])));
  await readHeader(reader);
  assert.deepEqual(await reader.read(10), new Uint8Array([1, 2, 3]));
});

const MAC = "--- " + "A".repeat(43);
const MALFORMED: [string, string][] = [
  ["", "empty"],
  ["age-encryption.org/v1\n", "no stanza and no MAC"],
  [`age-encryption.org/v1\n${MAC}\n`, "no stanza"],
  [`age-encryption.org/v2\n-> a\n\n${MAC}\n`, "other version"],
  [`age-encryption.org/v1\r\n-> a\n\n${MAC}\n`, "CRLF"],
  [`age-encryption.org/v1\n->\n\n${MAC}\n`, "no arguments"],
  [`age-encryption.org/v1\n-> \n\n${MAC}\n`, "empty argument"],
  [`age-encryption.org/v1\n-> a  b\n\n${MAC}\n`, "double space"],
  [`age-encryption.org/v1\n-> a\u00e9\n\n${MAC}\n`, "non-ASCII argument"],
  [`age-encryption.org/v1\n-> a\n${MAC}\n`, "missing body line"],
  [`age-encryption.org/v1\n-> a\nAAAA=\n${MAC}\n`, "padded body"],
  [`age-encryption.org/v1\n-> a\nAB\n${MAC}\n`, "non-canonical body"],
  [`age-encryption.org/v1\n-> a\n${"A".repeat(65)}\n\n${MAC}\n`, "long body line"],
  [`age-encryption.org/v1\n-> a\n${"A".repeat(64)}\n${MAC}\n`, "no final short line"],
  [`age-encryption.org/v1\n-> a\n\n---\n`, "MAC missing"],
  [`age-encryption.org/v1\n-> a\n\n--- ${"A".repeat(42)}\n`, "MAC short"],
  [`age-encryption.org/v1\n-> a\n\n---  ${"A".repeat(43)}\n`, "MAC extra space"],
  [`age-encryption.org/v1\n-> a\n\n${MAC} \n`, "MAC trailing space"],
  [`age-encryption.org/v1\n-> a\n\n${MAC}`, "MAC without LF"],
  [`age-encryption.org/v1\n-> a\n\n-- b\n${MAC}\n`, "bad line start"],
];

Deno.test("readHeader() rejects malformed headers with E_HEADER_INVALID", async () => {
  for (const [text, why] of MALFORMED) {
    await assert.rejects(read(utf8(text)), isInvalid, why);
  }
});

Deno.test("readHeader() rejects a header larger than its bound", async () => {
  const encoded = encodeHeader([{ args: ["a"], body: randomBytes(2000) }], FILE_KEY);
  await read(encoded, encoded.length);
  await assert.rejects(read(encoded, encoded.length - 1), isInvalid);
});

Deno.test("readHeader() stops reading an endless line at its bound", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(4096).fill(0x41));
    },
  });
  const reader = new ByteReader(endless);
  await assert.rejects(readHeader(reader, 100_000), isInvalid);
  assert.ok(pulled < 100, `pulled ${pulled} pieces`);
  await reader.cancel();
});

Deno.test("encodeHeaderWithoutMac() refuses no stanzas and bad arguments", () => {
  assert.throws(() => encodeHeaderWithoutMac([]), TypeError);
  for (const args of [[], [""], ["a b"], ["a\n"]]) {
    assert.throws(() => encodeHeaderWithoutMac([{ args, body: new Uint8Array(0) }]), TypeError);
  }
});
