/**
 * Adversarial input for core/age: random bytes, every single-byte flip and
 * every truncation of small files (binary and armored, each recipient type),
 * hostile headers (huge lines, many stanzas, no newline, oversized), armor
 * garbage, input split at arbitrary and chunk boundaries, and tampered
 * multi-chunk payloads, which must release only verified plaintext.
 */
import assert from "node:assert/strict";
import {
  armor,
  CHUNK_SIZE,
  dearmor,
  decrypt,
  decryptStream,
  encrypt,
  HybridIdentity,
  type Identity,
  parseIdentity,
  parseIdentityFile,
  parseRecipient,
  ScryptIdentity,
  ScryptRecipient,
  SEALED_CHUNK_SIZE,
  X25519Identity,
} from "../../core/age/mod.ts";
import { concat, concatAll, utf8 } from "../../core/bytes.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import type { BatchAead } from "../../core/crypto/batch_types.ts";
import { GpuAead } from "../../core/gpu/aead.ts";
import { NO_GPU, refusingFallback } from "../gpu/_gpu.ts";
import type { ErrorCode } from "../../core/errors.ts";
import {
  assertCode,
  assertNoSecret,
  expectCode,
  flipped,
  outcome,
  seedNote,
  withTimeout,
} from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

/** Every way a damaged file may be refused. */
const FILE_CODES: ErrorCode[] = [
  "E_ARMOR_INVALID",
  "E_HEADER_INVALID",
  "E_NO_MATCHING_IDENTITY",
  "E_HEADER_MAC",
  "E_DECRYPT_FAILED",
];
const PASSPHRASE = "fuzz passphrase never shown";
const PLAINTEXT = utf8("hello, fuzz");

/** A cheap scrypt cost for tests; the identity refuses anything much dearer. */
const SCRYPT_LOG_N = 4;
const SCRYPT_MAX_LOG_N = 8;

interface Fixture {
  name: string;
  identities: Identity[];
  file: Uint8Array;
  /** Strings no error message may contain. */
  secrets: string[];
}

let fixtures: Promise<Fixture[]> | undefined;

/** One small file per recipient type (and a two-recipient file), encrypted once per run. */
function smallFiles(): Promise<Fixture[]> {
  fixtures ??= (async () => {
    const x = await X25519Identity.generate();
    const pq = HybridIdentity.generate();
    const other = await X25519Identity.generate();
    const scrypt = new ScryptIdentity(PASSPHRASE, SCRYPT_MAX_LOG_N);
    return [
      {
        name: "X25519",
        identities: [x],
        file: await encrypt(PLAINTEXT, [x.recipient()]),
        secrets: [x.toString()],
      },
      {
        name: "mlkem768x25519",
        identities: [pq],
        file: await encrypt(PLAINTEXT, [await pq.recipient()]),
        secrets: [pq.toString()],
      },
      {
        name: "scrypt",
        identities: [scrypt],
        file: await encrypt(PLAINTEXT, [new ScryptRecipient(PASSPHRASE, SCRYPT_LOG_N)]),
        secrets: [PASSPHRASE],
      },
      {
        name: "two recipients",
        identities: [x],
        file: await encrypt(PLAINTEXT, [other.recipient(), x.recipient()]),
        secrets: [x.toString(), other.toString()],
      },
    ];
  })();
  return fixtures;
}

/** Decrypts and requires a refusal with one of FILE_CODES, revealing no secret. */
async function expectRefused(f: Fixture, input: Uint8Array, what: string): Promise<void> {
  const err = await expectCode(() => decrypt(input, f.identities), FILE_CODES, what);
  assertNoSecret(err, f.secrets, what);
}

/** Indexes to test: all of them for a short file, else all of the first `head` and a sample. */
function positions(length: number, prng: Prng, head: number, samples: number): number[] {
  if (length <= head + samples) return [...Array(length).keys()];
  const out = [...Array(head).keys()];
  for (let i = 0; i < samples; i++) out.push(prng.range(head, length - 1));
  out.push(length - 1);
  return out;
}

Deno.test("decrypt() refuses random bytes with E_HEADER_INVALID or E_ARMOR_INVALID", async () => {
  const prng = new Prng("age random bytes");
  const [f] = await smallFiles();
  const prefixes = ["", "age-encryption.org/v1\n", "age-encryption.org/v1\n-> X25519 "];
  for (let i = 0; i < 300; i++) {
    const prefix = prng.pick(prefixes);
    const input = concat(utf8(prefix), prng.bytes(prng.range(0, 600)));
    const what = `random input ${i} (prefix ${JSON.stringify(prefix)}) ${seedNote(prng.seed)}`;
    await expectCode(() => decrypt(input, f.identities), FILE_CODES, what);
  }
});

Deno.test("decrypt() refuses every single-byte flip of a small file, of each recipient type", async () => {
  const prng = new Prng("age flips");
  for (const f of await smallFiles()) {
    // The hybrid header is 1.6 KB of which every flip costs a decapsulation: sample it.
    const where = f.name === "mlkem768x25519"
      ? positions(f.file.length, prng, 40, 160)
      : [...f.file.keys()];
    for (const i of where) {
      for (const mask of [0x01, prng.nonZeroByte()]) {
        const what = `${f.name}: byte ${i} ^ 0x${mask.toString(16)} ${seedNote(prng.seed)}`;
        await expectRefused(f, flipped(f.file, i, mask), what);
      }
    }
  }
});

Deno.test("decrypt() refuses a small file truncated at every length, or extended", async () => {
  const prng = new Prng("age truncation");
  for (const f of await smallFiles()) {
    const where = f.name === "mlkem768x25519"
      ? positions(f.file.length, prng, 40, 200)
      : [...f.file.keys()];
    for (const n of where) {
      await expectRefused(f, f.file.subarray(0, n), `${f.name}: first ${n} bytes`);
    }
    for (const extra of [1, 16, 17, 100]) {
      const longer = concat(f.file, prng.bytes(extra));
      await expectRefused(f, longer, `${f.name}: ${extra} bytes appended ${seedNote(prng.seed)}`);
    }
  }
});

/** Whether a byte is whitespace the armor decoder may ignore around the block. */
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

Deno.test("decrypt() refuses every flip and truncation of an armored small file", async () => {
  const prng = new Prng("age armor flips");
  const [f] = await smallFiles();
  const text = utf8(armor(f.file));
  for (let i = 0; i < text.length; i++) {
    const mask = prng.nonZeroByte();
    const input = flipped(text, i, mask);
    const what = `armored: byte ${i} ^ 0x${mask.toString(16)} ${seedNote(prng.seed)}`;
    const result = await outcome(() => decrypt(input, f.identities), what);
    if (result.ok) {
      // Only whitespace after the END line may change into other whitespace.
      assert.ok(isSpace(text[i]) && isSpace(input[i]), `${what}: tampered armor was accepted`);
      assert.deepEqual(result.value, PLAINTEXT, what);
    } else assertCode(result.error, FILE_CODES, what);
  }
  for (let n = 0; n < text.length - 1; n++) {
    await expectRefused(f, text.subarray(0, n), `armored: first ${n} bytes`);
  }
});

Deno.test("dearmor() and decrypt() refuse armor garbage with E_ARMOR_INVALID", async () => {
  const prng = new Prng("age armor garbage");
  const [f] = await smallFiles();
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const begin = "-----BEGIN AGE ENCRYPTED FILE-----";
  const end = "-----END AGE ENCRYPTED FILE-----";
  const fixed = [
    begin,
    `${begin}\n`,
    `${begin}\n${end}`,
    `${begin}\n\n${end}\n`,
    `${begin}\nAAAA\nAAAA\n${end}\n`, // A short line then another.
    `${begin}\n${"A".repeat(65)}\n${end}\n`,
    `${begin}\nAB==\n${end}\nx`,
    `${begin}\nAB=\n${end}\n`,
    `${begin}\nAB\n${end}\n`,
    `${begin}\nAR==\n${end}\n`, // Non-canonical trailing bits.
    `${begin}\r\r\nAAAA\n${end}\n`,
    `${begin}\nAA AA\n${end}\n`,
    `Header: x\n${begin}\nAAAA\n${end}\n`,
    `${begin}\nAAAA\n-----END AGE ENCRYPTED FILE----\n`,
    `${" ".repeat(1025)}${begin}\nAAAA\n${end}\n`,
    `${begin}\nAAAA\n${end}\n${" ".repeat(1025)}`,
    `${begin}\n${"A".repeat(1 << 20)}`,
    `${begin}\n\xff\xfe\n${end}\n`,
  ];
  const cases = fixed.map((s) => utf8(s));
  for (let i = 0; i < 200; i++) {
    const lines = [begin];
    for (let j = prng.range(0, 6); j > 0; j--) {
      const line = prng.chance(0.7)
        ? prng.string(prng.pick([4, 60, 64, 65, prng.range(0, 80)]), b64 + "=")
        : new TextDecoder().decode(prng.bytes(prng.range(0, 70)));
      lines.push(line);
    }
    if (prng.chance(0.8)) lines.push(end);
    cases.push(utf8(lines.join(prng.pick(["\n", "\r\n", "\r", " \n"])) + prng.pick(["", "\n"])));
  }
  for (const [i, input] of cases.entries()) {
    const what = `armor case ${i} ${seedNote(prng.seed)}`;
    const result = await outcome(() => dearmor(input), what);
    if (!result.ok) assertCode(result.error, ["E_ARMOR_INVALID"], `dearmor: ${what}`);
    await expectCode(
      () => decrypt(input, f.identities, { armor: true }),
      FILE_CODES,
      `decrypt: ${what}`,
    );
  }
  // Valid armor around garbage reaches the header parser.
  for (let i = 0; i < 50; i++) {
    const input = utf8(armor(prng.bytes(prng.range(0, 300))));
    await expectCode(() => decrypt(input, f.identities), FILE_CODES, `armored random ${i}`);
  }
});

Deno.test("decrypt() refuses hostile headers in bounded time and memory", async () => {
  const prng = new Prng("age headers");
  const [f] = await smallFiles();
  const v = "age-encryption.org/v1\n";
  const mac = ` ${"A".repeat(43)}\n`;
  const share = "A".repeat(43);
  const body = "A".repeat(43); // 32 zero bytes.
  const cases: [string, Uint8Array, ErrorCode[]][] = [
    ["empty", new Uint8Array(0), ["E_HEADER_INVALID"]],
    ["no newline", utf8("age-encryption.org/v1"), ["E_HEADER_INVALID"]],
    ["2 MiB line without LF", utf8(v + "-> " + "a".repeat(2 << 20)), ["E_HEADER_INVALID"]],
    ["2 MiB of LFs", utf8(v + "\n".repeat(2 << 20)), ["E_HEADER_INVALID"]],
    ["1 MiB stanza args", utf8(`${v}-> ${"a ".repeat(1 << 19)}\n\n---${mac}`), [
      "E_HEADER_INVALID",
    ]],
    ["header over 1 MiB of stanzas", utf8(v + "-> a\n\n".repeat(200_000) + "---" + mac), [
      "E_HEADER_INVALID",
    ]],
    // Well under the bound: parses, then no identity matches it.
    ["50,000 foreign stanzas", utf8(v + "-> a\n\n".repeat(50_000) + "---" + mac), [
      "E_NO_MATCHING_IDENTITY",
    ]],
    [
      "2,000 X25519 stanzas",
      utf8(v + `-> X25519 ${share}\n${body}\n`.repeat(2_000) + "---" + mac),
      ["E_HEADER_INVALID", "E_NO_MATCHING_IDENTITY"],
    ],
    ["NUL in a stanza", utf8(`${v}-> a\0b\n\n---${mac}`), ["E_HEADER_INVALID"]],
    ["empty argument", utf8(`${v}->  a\n\n---${mac}`), ["E_HEADER_INVALID"]],
    ["no arguments", utf8(`${v}-> \n\n---${mac}`), ["E_HEADER_INVALID"]],
    ["65-column body", utf8(`${v}-> a\n${"A".repeat(65)}\n\n---${mac}`), ["E_HEADER_INVALID"]],
    ["full body, no end line", utf8(`${v}-> a\n${"A".repeat(64)}\n---${mac}`), [
      "E_HEADER_INVALID",
    ]],
    ["no stanzas", utf8(`${v}---${mac}`), ["E_HEADER_INVALID"]],
    ["MAC missing", utf8(`${v}-> a\n\n---\n`), ["E_HEADER_INVALID"]],
    ["MAC padded", utf8(`${v}-> a\n\n--- ${"A".repeat(43)}=\n`), ["E_HEADER_INVALID"]],
    ["CRLF", utf8(`age-encryption.org/v1\r\n-> a\r\n\r\n---${mac}`), ["E_HEADER_INVALID"]],
    ["version 2", utf8(`age-encryption.org/v2\n-> a\n\n---${mac}`), ["E_HEADER_INVALID"]],
    ["UTF-8 in args", utf8(`${v}-> é\n\n---${mac}`), ["E_HEADER_INVALID"]],
    [
      "two scrypt stanzas",
      utf8(
        `${v}-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n${body}\n`.repeat(2) +
          "---" + mac,
      ),
      ["E_HEADER_INVALID"],
    ],
    ["scrypt logN 40", utf8(`${v}-> scrypt AAAAAAAAAAAAAAAAAAAAAA 40\n${body}\n---${mac}`), [
      "E_HEADER_INVALID",
      "E_NO_MATCHING_IDENTITY",
    ]],
    ["X25519 all-zero share", utf8(`${v}-> X25519 ${share}\n${body}\n---${mac}`), [
      "E_HEADER_INVALID",
    ]],
    ["X25519 short body", utf8(`${v}-> X25519 ${share}\nAAAA\n---${mac}`), [
      "E_HEADER_INVALID",
    ]],
    ["X25519 three args", utf8(`${v}-> X25519 ${share} x\n${body}\n---${mac}`), [
      "E_HEADER_INVALID",
    ]],
  ];
  const scrypt = new ScryptIdentity(PASSPHRASE, SCRYPT_MAX_LOG_N);
  for (const [name, input, codes] of cases) {
    await expectCode(() => decrypt(input, [...f.identities, scrypt]), codes, name, 10_000);
  }
  // A caller's smaller bound holds.
  await expectCode(
    () => decrypt(f.file, f.identities, { maxHeaderSize: 40 }),
    ["E_HEADER_INVALID"],
    "maxHeaderSize 40",
  );
  // Grammar-shaped headers: plausible lines in random order.
  const pieces = [
    "-> X25519 " + share,
    "-> mlkem768x25519 " + "A".repeat(1494),
    "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 5",
    "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 05",
    "-> a b c",
    "->",
    body,
    "A".repeat(64),
    "",
    "---",
    "--- " + "A".repeat(43),
    "--- " + "A".repeat(42),
  ];
  for (let i = 0; i < 300; i++) {
    const lines = ["age-encryption.org/v1"];
    for (let j = prng.range(0, 8); j > 0; j--) lines.push(prng.pick(pieces));
    const input = concat(utf8(lines.join("\n") + "\n"), prng.bytes(prng.range(0, 40)));
    await expectCode(
      () => decrypt(input, [...f.identities, scrypt]),
      FILE_CODES,
      `grammar header ${i} ${seedNote(prng.seed)}`,
    );
  }
});

// Regression: readHeader once spread one argument per header line into concat (RangeError).
Deno.test(
  "decrypt() refuses a header of 100,000 tiny stanzas (under 1 MiB) with a MeteorError",
  async () => {
    const [f] = await smallFiles();
    const v = "age-encryption.org/v1\n";
    const input = utf8(v + "-> a\n\n".repeat(100_000) + "--- " + "A".repeat(43) + "\n");
    assert.ok(input.length < (1 << 20));
    await expectCode(() => decrypt(input, f.identities), ["E_NO_MATCHING_IDENTITY"], "100k");
  },
);

// Regression: Dearmor.push once spread one argument per armor line into concat (RangeError).
Deno.test(
  "decrypt() and dearmor() handle an armored file of 8 MiB held in memory",
  async () => {
    const [f] = await smallFiles();
    const id = f.identities[0] as X25519Identity;
    const plaintext = new Uint8Array(8 << 20);
    const armored = await encrypt(plaintext, [id.recipient()], { armor: true });
    assert.equal(dearmor(armored).length > plaintext.length, true);
    assert.deepEqual(await decrypt(armored, [id]), plaintext);
  },
);

// Regression: ByteReader.readLine once spread one argument per stream piece into concat.
Deno.test(
  "decryptStream() refuses a long header line sent one byte at a time with a MeteorError",
  async () => {
    const [f] = await smallFiles();
    const line = "a".repeat(200_000);
    const input = utf8(`age-encryption.org/v1\n-> ${line}\n\n--- ${"A".repeat(43)}\n`);
    await expectCode(
      () => decryptStream(piecewise(input, () => 1), f.identities),
      ["E_HEADER_INVALID", "E_NO_MATCHING_IDENTITY"],
      "one byte at a time",
      20_000,
    );
  },
);

/** A stream that delivers `bytes` in pieces whose sizes come from `size`. */
function piecewise(bytes: Uint8Array, size: () => number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const n = Math.max(1, size());
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

/** Reads `stream` to the end or its error; returns what it released and the error. */
async function drain(stream: ReadableStream<Uint8Array>) {
  const parts: Uint8Array[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { released: concatAll(parts), error: null as unknown };
  } catch (error) {
    return { released: concatAll(parts), error };
  }
}

/** The offset in `file` where the payload's sealed chunks start. */
function payloadStart(file: Uint8Array): number {
  const mac = new TextDecoder().decode(file.subarray(0, 4096)).indexOf("\n--- ");
  return file.indexOf(0x0a, mac + 1) + 1 + 16;
}

let bigFile: Promise<{ id: X25519Identity; plaintext: Uint8Array; file: Uint8Array }> | undefined;

/** A four-chunk file (three full chunks and a short final one). */
function fourChunks() {
  bigFile ??= (async () => {
    const id = await X25519Identity.generate();
    const plaintext = new Prng("age big plaintext").bytes(3 * CHUNK_SIZE + 10);
    return { id, plaintext, file: await encrypt(plaintext, [id.recipient()]) };
  })();
  return bigFile;
}

Deno.test("decryptStream() gives the same plaintext however the input is split", async () => {
  const prng = new Prng("age splits");
  const { id, plaintext, file } = await fourChunks();
  const start = payloadStart(file);
  const splitters: [string, () => number][] = [
    ["random pieces up to 5000 bytes", () => prng.range(1, 5000)],
    ["random pieces up to 70000 bytes", () => prng.range(1, 70_000)],
    ["one sealed chunk at a time", () => SEALED_CHUNK_SIZE],
    ["one sealed chunk minus one", () => SEALED_CHUNK_SIZE - 1],
  ];
  for (const [name, size] of splitters) {
    for (const window of [1, 3, 16]) {
      const what = `${name}, window ${window} ${seedNote(prng.seed)}`;
      const stream = await withTimeout(
        decryptStream(piecewise(file, size), [id], { window }),
        what,
      );
      const { released, error } = await withTimeout(drain(stream), what);
      assert.equal(error, null, what);
      assert.deepEqual(released, plaintext, what);
    }
  }
  // Split exactly at the header/payload edge and every chunk edge.
  const edges = [start - 16, start, ...[1, 2, 3].map((k) => start + k * SEALED_CHUNK_SIZE)];
  let last = 0;
  const sizes = [...edges, file.length].map((e) => {
    const n = e - last;
    last = e;
    return n;
  });
  const stream = await decryptStream(piecewise(file, () => sizes.shift() ?? 1), [id]);
  assert.deepEqual((await drain(stream)).released, plaintext, "split at chunk edges");
  // One byte at a time through a small file, binary and armored.
  const [f] = await smallFiles();
  for (const input of [f.file, utf8(armor(f.file))]) {
    const s = await decryptStream(piecewise(input, () => 1), f.identities);
    assert.deepEqual((await drain(s)).released, PLAINTEXT, "one byte at a time");
  }
});

/** A named mutation of the four-chunk file and the index of its first bad chunk. */
type Mutation = [name: string, input: Uint8Array, firstBad: number];

/** Flips at every chunk edge and inside, truncations, reordering, duplication, trailing data. */
function payloadMutations(file: Uint8Array, prng: Prng): Mutation[] {
  const start = payloadStart(file);
  const mutations: Mutation[] = [];
  for (let k = 0; k < 4; k++) {
    const first = start + k * SEALED_CHUNK_SIZE;
    const lastByte = Math.min(first + SEALED_CHUNK_SIZE, file.length) - 1;
    for (const i of [first, first + 1, lastByte - 16, lastByte, prng.range(first, lastByte)]) {
      mutations.push([`flip byte ${i} (chunk ${k})`, flipped(file, i, prng.nonZeroByte()), k]);
    }
  }
  // Truncations around every chunk edge: nothing past the last whole chunk is released.
  for (let k = 1; k <= 3; k++) {
    const edge = start + k * SEALED_CHUNK_SIZE;
    for (const d of [-17, -16, -1, 0, 1, 16, 17]) {
      const cut = edge + d;
      const complete = Math.floor((cut - start) / SEALED_CHUNK_SIZE);
      mutations.push([
        `truncated at edge ${k} ${d >= 0 ? "+" : ""}${d}`,
        file.subarray(0, cut),
        complete,
      ]);
    }
  }
  const header = file.subarray(0, start);
  const c = [0, 1, 2, 3].map((k) =>
    file.subarray(start + k * SEALED_CHUNK_SIZE, start + (k + 1) * SEALED_CHUNK_SIZE)
  );
  mutations.push(
    ["chunks 1 and 2 swapped", concat(header, c[0], c[2], c[1], c[3]), 1],
    ["chunk 0 repeated", concat(header, c[0], c[0], c[1], c[2], c[3]), 1],
    ["chunk 2 dropped", concat(header, c[0], c[1], c[3]), 2],
    ["final chunk dropped", concat(header, c[0], c[1], c[2]), 3],
    ["final chunk repeated", concat(header, c[0], c[1], c[2], c[3], c[3]), 3],
    ["one trailing byte", concat(file, new Uint8Array(1)), 3],
    ["a whole chunk of garbage appended", concat(file, prng.bytes(SEALED_CHUNK_SIZE)), 4],
  );
  return mutations;
}

/** Decrypts every mutation with `engine`; each must fail having released only verified chunks. */
async function checkTampering(label: string, engine: BatchAead, windows: number[]) {
  const prng = new Prng(`age payload tampering ${label}`);
  const { id, plaintext, file } = await fourChunks();
  for (const window of windows) {
    for (const [name, input, firstBad] of payloadMutations(file, prng)) {
      const what = `${label}: ${name}, window ${window} ${seedNote(prng.seed)}`;
      const split = () => prng.range(1, 100_000);
      const stream = await withTimeout(
        decryptStream(piecewise(input, split), [id], { window, engine }),
        what,
      );
      const { released, error } = await withTimeout(drain(stream), what);
      assertCode(error, ["E_DECRYPT_FAILED"], what);
      assert.ok(
        released.length <= firstBad * CHUNK_SIZE,
        `${what}: released ${released.length} bytes`,
      );
      assert.deepEqual(released, plaintext.subarray(0, released.length), `${what}: not a prefix`);
    }
  }
}

Deno.test("decryptStream() releases only verified chunks of a tampered payload", async () => {
  await checkTampering("cpu", cpuBatchAead, [1, 16]);
});

Deno.test({
  name: "decryptStream() on the GPU engine releases only verified chunks of a tampered payload",
  ignore: NO_GPU,
  async fn() {
    const gpu = new GpuAead({ fallback: refusingFallback });
    try {
      await checkTampering("gpu", gpu, [16]);
    } finally {
      gpu.close();
    }
  },
});

Deno.test("decrypt() and encrypt() never write to the caller's buffers", async () => {
  const prng = new Prng("age caller buffers");
  const { id, plaintext, file } = await fourChunks();
  const before = { plaintext: plaintext.slice(), file: file.slice() };
  for (const engine of [cpuBatchAead, undefined]) {
    assert.deepEqual(await decrypt(file, [id], { engine }), plaintext);
    const again = await encrypt(plaintext, [id.recipient()], { engine });
    assert.deepEqual(await decrypt(again, [id], { engine }), plaintext);
    for (const [name, input] of payloadMutations(file, prng).slice(0, 8)) {
      const copy = input.slice();
      await expectCode(() => decrypt(input, [id], { engine }), FILE_CODES, name);
      assert.deepEqual(input, copy, `${name}: the input was changed`);
    }
  }
  assert.deepEqual(plaintext, before.plaintext, "the plaintext was changed");
  assert.deepEqual(file, before.file, "the file was changed");
});

Deno.test("concurrent decrypts on the shared default engine each get their own verdict", async () => {
  const prng = new Prng("age concurrency");
  const id = await X25519Identity.generate();
  const source = prng.bytes(3 << 20);
  const plaintexts = Array.from({ length: 18 }, (_, i) => source.subarray(0, 1000 + i * 150_000));
  const files = await Promise.all(plaintexts.map((p) => encrypt(p, [id.recipient()])));
  const tampered = files.map((_, i) => i % 3 === 0);
  const inputs = files.map((f, i) => tampered[i] ? flipped(f, prng.range(300, f.length - 1)) : f);
  const results = await withTimeout(
    Promise.allSettled(inputs.map((input) => decrypt(input, [id]))),
    "concurrent decrypts",
    20_000,
  );
  for (const [i, result] of results.entries()) {
    const what = `file ${i} (${plaintexts[i].length} bytes) ${seedNote(prng.seed)}`;
    if (tampered[i]) {
      assert.equal(result.status, "rejected", `${what}: tampered file accepted`);
      if (result.status === "rejected") assertCode(result.reason, FILE_CODES, what);
    } else {
      assert.equal(
        result.status,
        "fulfilled",
        `${what}: ${result.status === "rejected" ? result.reason : ""}`,
      );
      if (result.status === "fulfilled") assert.deepEqual(result.value, plaintexts[i], what);
    }
  }
});

Deno.test("age key parsers refuse random and mutated strings and never echo them", async () => {
  const prng = new Prng("age keys");
  const x = await X25519Identity.generate();
  const pq = HybridIdentity.generate();
  const valid = [
    x.toString(),
    x.recipient().toString(),
    pq.toString(),
    (await pq.recipient()).toString(),
  ];
  const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L1-";
  const inputs: string[] = [];
  for (const text of valid) {
    const where = text.length > 200
      ? positions(text.length, prng, 30, 150)
      : [...Array(text.length).keys()];
    for (const i of where) {
      const c = prng.pick([...charset].filter((ch) => ch !== text[i]));
      inputs.push(text.slice(0, i) + c + text.slice(i + 1)); // Substitution.
      inputs.push(text.slice(0, i) + text.slice(i + 1)); // Deletion.
    }
    inputs.push(text + "q", text.slice(0, -1) + text.at(-1)!.toUpperCase(), ` ${text}`);
  }
  for (let i = 0; i < 200; i++) {
    inputs.push(
      prng.pick(["age1", "age1pq1", "AGE-SECRET-KEY-1", "AGE-SECRET-KEY-PQ-1", ""]) +
        prng.string(prng.range(0, 80), charset),
    );
  }
  for (const [i, text] of inputs.entries()) {
    const what = `key string ${i} ${seedNote(prng.seed)}`;
    if (valid.includes(text)) continue;
    const r = await outcome(() => parseRecipient(text), what);
    if (!r.ok) assertCode(r.error, ["E_BAD_RECIPIENT", "E_BAD_KEY"], `parseRecipient: ${what}`);
    else assert.fail(`parseRecipient accepted a mutated recipient: ${what}`);
    const err = await expectCode(
      () => parseIdentity(text),
      ["E_MALFORMED"],
      `parseIdentity: ${what}`,
    );
    // A bare prefix such as "AGE-SECRET-KEY-1" is no secret; anything longer must not be echoed.
    assertNoSecret(err, text.length > 30 ? [text, ...valid] : valid, `parseIdentity: ${what}`);
  }
  // Identity files name the bad line, never its content.
  const file = `# keys\n${x.toString()}\n${inputs[3]}\n`;
  const err = await expectCode(() => parseIdentityFile(file), ["E_MALFORMED"], "identity file");
  assertNoSecret(err, [x.toString(), inputs[3]], "identity file");
  await expectCode(() => parseIdentityFile("\n#\n"), ["E_MALFORMED"], "empty identity file");
  await expectCode(
    () => parseIdentityFile("#".repeat((1 << 20) + 1)),
    ["E_TOO_LARGE"],
    "huge identity file",
  );
});
