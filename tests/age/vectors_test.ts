import assert from "node:assert/strict";
import { toHex } from "../../core/bytes.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import { isMeteorError } from "../../core/errors.ts";
import {
  armor,
  dearmor,
  decryptStream,
  encodeHeaderWithoutMac,
  type Identity,
  parseIdentity,
  payloadKey,
  ScryptIdentity,
  X25519Identity,
} from "../../core/age/mod.ts";
import { ByteReader, readAll, streamOf } from "../../core/age/_io.ts";
import { readHeader } from "../../core/age/header.ts";
import { sealChunks } from "../../core/age/stream.ts";
import { concat, fromHex, utf8 } from "../../core/bytes.ts";
import { type Expect, loadAgeVectors } from "./_vectors.ts";

const vectors = await loadAgeVectors();

const CODES: Record<Exclude<Expect, "success">, string> = {
  "no match": "E_NO_MATCHING_IDENTITY",
  "HMAC failure": "E_HEADER_MAC",
  "header failure": "E_HEADER_INVALID",
  "payload failure": "E_DECRYPT_FAILED",
  "armor failure": "E_ARMOR_INVALID",
};

async function identitiesOf(v: { identities: string[]; passphrases: string[] }) {
  const out: Identity[] = [];
  for (const text of v.identities) out.push(await parseIdentity(text));
  for (const p of v.passphrases) out.push(new ScryptIdentity(p));
  // A vector without identities still needs one to get past the API's misuse check.
  if (out.length === 0) out.push(await X25519Identity.generate());
  return out;
}

/** Decrypts, collecting what was released before any error. */
async function run(file: Uint8Array, identities: Identity[], armored: boolean, window?: number) {
  const released: Uint8Array[] = [];
  try {
    const plaintext = await decryptStream(streamOf(file), identities, { armor: armored, window });
    for await (const part of plaintext) released.push(part);
    return { released: concat(...released), error: null };
  } catch (error) {
    return { released: concat(...released), error };
  }
}

Deno.test("CCTV age vectors: at least 100 are loaded", () => {
  assert.ok(vectors.length >= 100, `only ${vectors.length} vectors`);
});

for (const v of vectors) {
  Deno.test(`decryptStream() gives the expected outcome for CCTV vector ${v.name} (${v.expect})`, async () => {
    const { released, error } = await run(v.file, await identitiesOf(v), v.armored);
    if (v.expect === "success") {
      assert.equal(error, null, `unexpected ${error}`);
    } else {
      assert.ok(isMeteorError(error), `expected ${v.expect}, got ${error}`);
      assert.equal(error.code, CODES[v.expect], `${v.expect}: ${error.message}`);
    }
    if (v.payload !== undefined) assert.equal(toHex(sha256(released)), v.payload);
    else assert.equal(released.length, 0);
  });
}

Deno.test("decryptStream() gives the same outcomes one chunk per batch and three per batch", async () => {
  for (const window of [1, 3]) {
    for (const v of vectors.filter((v) => v.name.startsWith("stream_"))) {
      const { released, error } = await run(v.file, await identitiesOf(v), v.armored, window);
      const code = isMeteorError(error) ? error.code : error;
      assert.equal(
        code,
        v.expect === "success" ? null : CODES[v.expect],
        `${v.name} window ${window}`,
      );
      const hash = v.payload === undefined ? undefined : toHex(sha256(released));
      assert.equal(hash, v.payload, `${v.name} window ${window}`);
    }
  }
});

Deno.test("armor() re-encodes every valid armored CCTV vector identically", () => {
  let checked = 0;
  for (const v of vectors.filter((v) => v.armored && v.expect !== "armor failure")) {
    const text = new TextDecoder().decode(v.file);
    const expected = text.replaceAll("\r\n", "\n").trim() + "\n";
    assert.equal(armor(dearmor(v.file)), expected, v.name);
    checked++;
  }
  assert.ok(checked > 0);
});

Deno.test("encodeHeaderWithoutMac() re-encodes every parsable CCTV header identically", async () => {
  let checked = 0;
  for (const v of vectors.filter((v) => !v.armored && v.expect !== "header failure")) {
    const reader = new ByteReader(streamOf(v.file));
    const header = await readHeader(reader);
    const rest = await reader.read(v.file.length);
    const encoded = concat(
      encodeHeaderWithoutMac(header.stanzas),
      utf8(" "),
      utf8(
        new TextDecoder().decode(v.file).split("\n").find((l) => l.startsWith("--- "))!.slice(4),
      ),
      utf8("\n"),
      rest,
    );
    assert.deepEqual(encoded, v.file, v.name);
    checked++;
  }
  assert.ok(checked > 0);
});

Deno.test("sealChunks() re-encrypts every successful CCTV payload identically", async () => {
  let checked = 0;
  for (const v of vectors.filter((v) => !v.armored && v.expect === "success")) {
    const reader = new ByteReader(streamOf(v.file));
    await readHeader(reader);
    const nonce = await reader.read(16);
    const payload = await reader.read(v.file.length);
    const { released } = await run(v.file, await identitiesOf(v), false);
    const key = payloadKey(fromHex(v.fileKey!), nonce);
    assert.deepEqual(await readAll(sealChunks(key, streamOf(released))), payload, v.name);
    checked++;
  }
  assert.ok(checked > 0);
});
