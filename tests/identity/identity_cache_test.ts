import assert from "node:assert/strict";
import { fromBase64, toBase64 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import {
  createDocument,
  deriveKeys,
  DOCUMENT_TEXT_PREFIX,
  formatDocument,
  formatMeteorId,
  wipeNodeKeys,
} from "../../core/identity/mod.ts";
import { keystoreMeteorId, writeKeystore } from "../../core/keystore.ts";
import {
  ownPublicIdentity,
  readIdentityCache,
  writeIdentityCache,
} from "../../cli/_identity_cache.ts";
import { DOCUMENT_REUSE_MS } from "../../cli/id.ts";
import { meteor, withTempHome } from "../_cli.ts";

const SEED = new Uint8Array(32).fill(3);
const OTHER_SEED = new Uint8Array(32).fill(4);
const SOURCE = '{"extra":[]}';

/** A document of the identity of `seed` as `meteor id` would cache it. */
async function documentText(seed: Uint8Array, issuedAt = Date.now()): Promise<string> {
  const keys = await deriveKeys(seed);
  try {
    return formatDocument(await createDocument(keys, { issuedAt }));
  } finally {
    wipeNodeKeys(keys);
  }
}

/** `text` with the byte at `index` (negative: from the end) flipped. */
function flipByte(text: string, index: number): string {
  const bytes = fromBase64(text.slice(DOCUMENT_TEXT_PREFIX.length));
  bytes[(index + bytes.length) % bytes.length] ^= 1;
  return DOCUMENT_TEXT_PREFIX + toBase64(bytes);
}

Deno.test("keystoreMeteorId() is a plain keystore's stored ID, undefined when encrypted", async () => {
  await withTempHome(async (home) => {
    await writeKeystore(home, SEED);
    const keys = await deriveKeys(SEED);
    wipeNodeKeys(keys);
    assert.deepEqual(await keystoreMeteorId(home), keys.meteorId);
    await writeKeystore(home, SEED, { passphrase: "pass", logN: 10, force: true });
    assert.equal(await keystoreMeteorId(home), undefined);
  });
});

Deno.test("keystoreMeteorId() refuses a keystore whose id is not a MeteorID (E_MALFORMED)", async () => {
  await withTempHome(async (home) => {
    await writeKeystore(home, SEED);
    const path = homePaths(home).keystore;
    const raw = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify({ ...raw, id: `${raw.id.slice(0, -1)}x` }));
    await assert.rejects(keystoreMeteorId(home), (err) => isMeteorError(err, "E_MALFORMED"));
  });
});

Deno.test("readIdentityCache() returns a document that verifies against the keystore's ID", async () => {
  await withTempHome(async (home) => {
    await writeKeystore(home, SEED);
    assert.equal(await readIdentityCache(home), undefined, "no cache yet");
    const text = await documentText(SEED);
    await writeIdentityCache(home, text, SOURCE);
    const cached = await readIdentityCache(home);
    assert.ok(cached);
    assert.equal(cached.text, text);
    assert.equal(cached.source, SOURCE);
    assert.deepEqual(cached.document.meteorId, await keystoreMeteorId(home));
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(homePaths(home).identity)).mode! & 0o777, 0o600);
    }
  });
});

Deno.test("readIdentityCache() refuses a tampered, foreign, expired or malformed cache", async () => {
  await withTempHome(async (home) => {
    await writeKeystore(home, SEED);
    const path = homePaths(home).identity;
    const text = await documentText(SEED);
    const cases: [string, string][] = [
      ["not JSON", "{"],
      ["not an object", "7"],
      ["another version", JSON.stringify({ version: 2, document: text, source: SOURCE })],
      ["no source", JSON.stringify({ version: 1, document: text })],
      ["not a document", JSON.stringify({ version: 1, document: "meteor-doc:AAAA", source: "" })],
      // Byte 40 is in the Ed25519 key: the keys no longer hash to the ID.
      ["a key changed", JSON.stringify({ version: 1, document: flipByte(text, 40), source: "" })],
      [
        "the signature changed",
        JSON.stringify({ version: 1, document: flipByte(text, -1), source: "" }),
      ],
      [
        "another identity's document",
        JSON.stringify({ version: 1, document: await documentText(OTHER_SEED), source: SOURCE }),
      ],
    ];
    for (const [name, content] of cases) {
      await Deno.writeTextFile(path, content);
      assert.equal(await readIdentityCache(home), undefined, name);
    }
    await writeIdentityCache(home, text, SOURCE);
    assert.ok(await readIdentityCache(home), "the untampered cache");
    const expired = Date.now() + 31 * 24 * 60 * 60 * 1000;
    assert.equal(await readIdentityCache(home, expired), undefined, "expired");
  });
});

Deno.test("readIdentityCache() is not used with an encrypted keystore (it stores no MeteorID)", async () => {
  await withTempHome(async (home) => {
    await writeKeystore(home, SEED, { passphrase: "pass", logN: 10 });
    await writeIdentityCache(home, await documentText(SEED), SOURCE);
    assert.equal(await readIdentityCache(home), undefined);
  });
});

Deno.test("meteor id reuses its cached document and signs anew when the addresses change", async () => {
  await withTempHome(async (home) => {
    assert.equal((await meteor("init", "--home", home)).code, 0);
    const first = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
    const cache = JSON.parse(await Deno.readTextFile(homePaths(home).identity));
    assert.equal(cache.document, first.document);
    const second = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
    assert.equal(second.document, first.document, "reused");
    const moved = await meteor("id", "--home", home, "--json", "--address", "/ip4/192.0.2.1/tcp/1");
    const third = JSON.parse(moved.stdout);
    assert.notEqual(third.document, first.document);
    assert.equal(third.addresses[0], "/ip4/192.0.2.1/tcp/1");
    assert.equal(third.meteorId, first.meteorId);
  });
});

Deno.test("meteor id ignores and replaces a cache of another identity", async () => {
  await withTempHome(async (home) => {
    assert.equal((await meteor("init", "--home", home)).code, 0);
    const truth = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
    const path = homePaths(home).identity;
    const cache = JSON.parse(await Deno.readTextFile(path));
    const foreign = await documentText(OTHER_SEED);
    await Deno.writeTextFile(path, JSON.stringify({ ...cache, document: foreign }));
    const run = await meteor("id", "--home", home, "--json");
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout);
    assert.equal(shown.meteorId, truth.meteorId);
    assert.equal(shown.peerId, truth.peerId);
    assert.notEqual(shown.document, foreign);
    assert.equal(JSON.parse(await Deno.readTextFile(path)).document, shown.document, "replaced");
    const otherKeys = await deriveKeys(OTHER_SEED);
    wipeNodeKeys(otherKeys);
    assert.notEqual(shown.meteorId, formatMeteorId(otherKeys.meteorId));
  });
});

Deno.test("meteor id signs anew once its cached document is a day old", async () => {
  await withTempHome(async (home) => {
    const seedHex = Array.from(SEED, (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal((await meteor("seed", "import", seedHex, "--home", home)).code, 0);
    const first = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
    const path = homePaths(home).identity;
    const cache = JSON.parse(await Deno.readTextFile(path));
    const keys = await deriveKeys(SEED);
    const dayOld = Date.now() - DOCUMENT_REUSE_MS - 1000;
    let old: string;
    try {
      old = formatDocument(
        await createDocument(keys, { issuedAt: dayOld, addresses: first.addresses }),
      );
    } finally {
      wipeNodeKeys(keys);
    }
    await Deno.writeTextFile(path, JSON.stringify({ ...cache, document: old }));
    assert.ok(await readIdentityCache(home), "the day-old document still verifies");
    const again = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
    assert.notEqual(again.document, old);
    assert.deepEqual(again.addresses, first.addresses);
  });
});

Deno.test("ownPublicIdentity() is the keystore's identity, with or without a (foreign) cache", async () => {
  await withTempHome(async (home) => {
    await writeKeystore(home, SEED);
    const keys = await deriveKeys(SEED);
    wipeNodeKeys(keys);
    const expect = { meteorId: keys.meteorId, publicKeys: keys.publicKeys };
    assert.deepEqual(await ownPublicIdentity(home), expect, "no cache: derived");
    await writeIdentityCache(home, await documentText(OTHER_SEED), SOURCE);
    assert.deepEqual(await ownPublicIdentity(home), expect, "foreign cache: derived");
    await writeIdentityCache(home, await documentText(SEED), SOURCE);
    assert.deepEqual(await ownPublicIdentity(home), expect, "from the cache");
  });
});
