import assert from "node:assert/strict";
import {
  CHUNK_SIZE,
  decrypt,
  decryptStream,
  encodeHeader,
  encrypt,
  HybridIdentity,
  type Identity,
  X25519Identity,
} from "../../core/age/mod.ts";
import { streamOf } from "../../core/age/_io.ts";
import { concat, fromUtf8, utf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

const me = await X25519Identity.generate();
const pq = HybridIdentity.generate();
const CODES = new Set([
  "E_HEADER_INVALID",
  "E_HEADER_MAC",
  "E_NO_MATCHING_IDENTITY",
  "E_DECRYPT_FAILED",
  "E_ARMOR_INVALID",
]);

/** Decrypts, returning the released plaintext and the error code (null on success). */
async function attempt(file: Uint8Array, identities: Identity[] = [me, pq]) {
  const parts: Uint8Array[] = [];
  try {
    for await (const p of await decryptStream(streamOf(file), identities)) parts.push(p);
    return { released: concat(...parts), code: null as string | null };
  } catch (err) {
    if (!isMeteorError(err)) throw err;
    return { released: concat(...parts), code: err.code as string };
  }
}

const plaintext = randomBytes(2 * CHUNK_SIZE + 100);
const file = await encrypt(plaintext, [
  me.recipient(),
  (await X25519Identity.generate()).recipient(),
]);
/** The offset just past the header's MAC line. */
function headerEndOf(bytes: Uint8Array): number {
  const text = new TextDecoder().decode(bytes);
  const mac = text.indexOf("\n--- ");
  return utf8(text.slice(0, text.indexOf("\n", mac + 1) + 1)).length;
}
const headerEnd = headerEndOf(file);

Deno.test("decrypt() names each failure class with its own code", async () => {
  const text = fromUtf8(file.subarray(0, headerEnd));
  const macAt = text.indexOf("\n--- ") + 5;
  const badMac = file.slice();
  badMac[macAt] = badMac[macAt] === 0x41 ? 0x42 : 0x41;
  const extraStanza = concat(
    utf8(text.replace("\n---", "\n-> example.com/extra\n\n---")),
    file.subarray(headerEnd),
  );
  const flipped = file.slice();
  flipped[headerEnd + 16 + 5] ^= 0x80;
  const cases: [Uint8Array, Identity[], string | null][] = [
    [file, [me], null],
    [file, [await X25519Identity.generate()], "E_NO_MATCHING_IDENTITY"],
    [badMac, [me], "E_HEADER_MAC"],
    [extraStanza, [me], "E_HEADER_MAC"],
    [flipped, [me], "E_DECRYPT_FAILED"],
    [file.subarray(0, headerEnd + 15), [me], "E_HEADER_INVALID"],
    [file.subarray(0, headerEnd + 16), [me], "E_DECRYPT_FAILED"],
    [file.subarray(0, headerEnd - 1), [me], "E_HEADER_INVALID"],
    [utf8("-----BEGIN AGE ENCRYPTED FILE-----\nnot base64\n"), [me], "E_ARMOR_INVALID"],
  ];
  for (const [input, identities, code] of cases) {
    assert.equal((await attempt(input, identities)).code, code);
  }
});

Deno.test("decrypt() rejects every single-byte change of a file, releasing only a verified prefix", async () => {
  const small = await encrypt(randomBytes(CHUNK_SIZE + 10), [me.recipient()]);
  const expected = await decrypt(small, [me]);
  const positions = new Set<number>();
  for (let i = 0; i < 400; i++) positions.add(Math.floor(Math.random() * small.length));
  for (let i = 0; i < 200; i++) positions.add(i); // the whole header region
  for (const at of positions) {
    const changed = small.slice();
    changed[at] ^= 1 + Math.floor(Math.random() * 255);
    const { released, code } = await attempt(changed, [me]);
    assert.ok(code !== null && CODES.has(code), `byte ${at}: ${code}`);
    assert.deepEqual(released, expected.subarray(0, released.length), `byte ${at}`);
  }
});

Deno.test("decrypt() turns random garbage into a coded error, never a crash or hang", async () => {
  const prefixes = [
    new Uint8Array(0),
    utf8("age-encryption.org/v1\n"),
    utf8("age-encryption.org/v1\n-> X25519 "),
    utf8("-----BEGIN AGE ENCRYPTED FILE-----\n"),
    file.subarray(0, headerEnd),
  ];
  for (let i = 0; i < 300; i++) {
    const prefix = prefixes[i % prefixes.length];
    const garbage = randomBytes(Math.floor(Math.random() * 3000));
    if (i % 3 === 0) {
      for (let j = 0; j < garbage.length; j++) garbage[j] = 0x20 + (garbage[j] % 0x60);
    }
    const { code } = await attempt(concat(prefix, garbage));
    assert.ok(code !== null && CODES.has(code), `case ${i}: ${code}`);
  }
});

Deno.test("decrypt() bounds the header size", async () => {
  const stanzas = Array.from(
    { length: 20 },
    () => ({ args: ["example.com/pad"], body: randomBytes(30_000) }),
  );
  const huge = concat(encodeHeader(stanzas, randomBytes(16)), randomBytes(100));
  assert.equal((await attempt(huge)).code, "E_NO_MATCHING_IDENTITY");
  await assert.rejects(
    decrypt(huge, [me], { maxHeaderSize: 1 << 16 }),
    (e) => isMeteorError(e, "E_HEADER_INVALID"),
  );
  const endless = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(utf8("age-encryption.org/v1\n-> a\n"));
    },
    pull(c) {
      c.enqueue(new Uint8Array(65536).fill(0x41));
    },
  });
  await assert.rejects(decryptStream(endless, [me]), (e) => isMeteorError(e, "E_HEADER_INVALID"));
});
