import assert from "node:assert/strict";
import { seedSigner } from "../../core/crypto/mod.ts";
import { deriveKeys } from "../../core/identity/mod.ts";
import { AuthorCache } from "../../plugins/pubsub/_authors.ts";
import { MESSAGE_LABEL } from "../../plugins/pubsub/envelope.ts";

const keys = await Promise.all([1, 2, 3].map((b) => deriveKeys(new Uint8Array(32).fill(b))));

Deno.test("AuthorCache.of() gives the MeteorID and a working verifier of a bundle", async () => {
  const cache = new AuthorCache();
  const author = await cache.of(keys[0].publicKeys);
  assert.deepEqual(author.meteorId, keys[0].meteorId);
  const message = new Uint8Array([1, 2, 3]);
  await author.verifier.verify(
    MESSAGE_LABEL,
    message,
    await seedSigner(keys[0].seeds).sign(MESSAGE_LABEL, message),
  );
  assert.equal(cache.size, 0, "kept only once keep() is called");
});

Deno.test("AuthorCache keeps the most recent authors and never serves another bundle's", async () => {
  const cache = new AuthorCache(2);
  for (const k of keys) cache.keep(await cache.of(k.publicKeys));
  assert.equal(cache.size, 2);
  const kept = await cache.of(keys[2].publicKeys);
  assert.equal(await cache.of(keys[2].publicKeys), kept, "a kept author is served again");
  // Same Ed25519 key, other ML-DSA key: a new author, not the kept one.
  const mixed = { ...keys[2].publicKeys, mldsa65: keys[0].publicKeys.mldsa65 };
  const fresh = await cache.of(mixed);
  assert.notEqual(fresh, kept);
  assert.deepEqual(fresh.bundle.mldsa65, keys[0].publicKeys.mldsa65);
  // The oldest (keys[0]) was dropped: asking for it builds a new author.
  assert.notEqual(await cache.of(keys[0].publicKeys), await cache.of(keys[0].publicKeys));
});
