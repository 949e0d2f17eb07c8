import assert from "node:assert/strict";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { sha3_256 } from "@noble/hashes/sha3.js";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { concat, fromHex, toHex, utf8 } from "../../core/bytes.ts";
import { hybridSign, hybridVerify } from "../../core/crypto/sign.ts";
import {
  DERIVATION_LABELS,
  deriveKeys,
  deriveSeeds,
  formatMeteorId,
  type NodeKeys,
  wipeNodeKeys,
} from "../../core/identity/mod.ts";
import { libp2pPrivateKey } from "../../core/identity/_libp2p_key.ts";

/** A fixed seed (bytes 00..1f) and its identity: a change in derivation breaks this test. */
const KNOWN_SEED = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const KNOWN_METEOR_ID = "meteor1ccs5dcgvvw2q2m7xn4uswjphyklr08wnm5aae0wgut7uhw6nvdhqclg3a5";
const KNOWN_PEER_ID = "12D3KooWMEsAThxVz27KhcaMeMGJuk1jhKBumswEzAErz77oUtrA";

Deno.test("deriveKeys() gives the pinned MeteorID and PeerId for a known seed", async () => {
  const keys = await deriveKeys(KNOWN_SEED);
  assert.equal(formatMeteorId(keys.meteorId), KNOWN_METEOR_ID);
  assert.equal(keys.peerId, KNOWN_PEER_ID);
  // The values docs/identity.md §6 lists.
  assert.deepEqual(
    [keys.seeds.ed25519, keys.seeds.xwing, keys.seeds.mldsa65, keys.publicKeys.ed25519].map(toHex),
    [
      "7801b0fc48471323ff71d963e215580e095af3f00f9949651cb9d48ee8a9e993",
      "f5b24ec0ed0afbf137f1e1db1e53b804dff1424c5d8a642e9a77615b09b43c54",
      "bd7c584b5d0076869fe5ef59a7d6907b1fc22a172e1448faec7a3846e3453d12",
      "a9b747ce4c5dedb3524c0355e5ffc88a2d47315b035b6878c7711795ae0e0127",
    ],
  );
  assert.equal(
    toHex(keys.meteorId),
    "c62146e10c6394056fc69d7907483725be379dd3dd3bdcbdc8e2fdcbbb53636e",
  );
});

Deno.test("deriveKeys() matches an independent derivation with @noble and libp2p", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const keys = await deriveKeys(seed);
  const derive = (label: string) => hkdf(sha256, seed, new Uint8Array(0), utf8(label), 32);
  const edSeed = derive("meteor/v1/ed25519");
  const xwSeed = derive("meteor/v1/xwing");
  const mlSeed = derive("meteor/v1/ml-dsa-65");
  assert.deepEqual(keys.seeds, { ed25519: edSeed, xwing: xwSeed, mldsa65: mlSeed });
  const publicKeys = {
    ed25519: ed25519.getPublicKey(edSeed),
    xwing: ml_kem768_x25519.keygen(xwSeed).publicKey,
    mldsa65: ml_dsa65.keygen(mlSeed).publicKey,
  };
  assert.deepEqual(keys.publicKeys, publicKeys);
  const bundle = concat(
    utf8("meteor/v1/key-bundle\0"),
    publicKeys.ed25519,
    publicKeys.xwing,
    publicKeys.mldsa65,
  );
  assert.deepEqual(keys.meteorId, sha3_256(bundle));
  const libp2pKey = await generateKeyPairFromSeed("Ed25519", edSeed);
  assert.equal(keys.peerId, peerIdFromPrivateKey(libp2pKey).toString());
});

Deno.test("deriveKeys() is deterministic: the same seed gives the same keys and IDs", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const [a, b] = [await deriveKeys(seed), await deriveKeys(seed.slice())];
  assert.deepEqual(a, b);
});

Deno.test("deriveKeys() gives unrelated identities for seeds one bit apart", async () => {
  const seed = new Uint8Array(32);
  const flipped = seed.slice();
  flipped[31] ^= 1;
  const [a, b] = [await deriveKeys(seed), await deriveKeys(flipped)];
  assert.notDeepEqual(a.meteorId, b.meteorId);
  assert.notEqual(a.peerId, b.peerId);
  for (const name of ["ed25519", "xwing", "mldsa65"] as const) {
    assert.notDeepEqual(a.seeds[name], b.seeds[name]);
    assert.notDeepEqual(a.publicKeys[name], b.publicKeys[name]);
  }
});

Deno.test("deriveSeeds() gives three distinct seeds under three distinct labels", () => {
  const labels = Object.values(DERIVATION_LABELS);
  assert.equal(new Set(labels).size, 3);
  const seeds = deriveSeeds(new Uint8Array(32).fill(0x42));
  const hex = [seeds.ed25519, seeds.xwing, seeds.mldsa65].map(toHex);
  assert.equal(new Set(hex).size, 3);
  for (const s of [seeds.ed25519, seeds.xwing, seeds.mldsa65]) assert.equal(s.length, 32);
});

Deno.test("deriveSeeds() and deriveKeys() reject seeds that are not 32 bytes", async () => {
  for (const length of [0, 31, 33, 64]) {
    assert.throws(() => deriveSeeds(new Uint8Array(length)), RangeError);
    await assert.rejects(deriveKeys(new Uint8Array(length)), RangeError);
  }
});

Deno.test("deriveKeys() leaves the caller's seed unchanged", async () => {
  const seed = KNOWN_SEED.slice();
  await deriveKeys(seed);
  assert.deepEqual(seed, KNOWN_SEED);
});

Deno.test("wipeNodeKeys() zeroes the secret seeds and keeps the public parts", async () => {
  const keys: NodeKeys = await deriveKeys(KNOWN_SEED);
  const { publicKeys, peerId, meteorId } = structuredClone(keys);
  wipeNodeKeys(keys);
  for (const s of Object.values(keys.seeds)) assert.deepEqual(s, new Uint8Array(32));
  assert.deepEqual({ publicKeys: keys.publicKeys, peerId: keys.peerId, meteorId: keys.meteorId }, {
    publicKeys,
    peerId,
    meteorId,
  });
});

Deno.test("NodeKeys.seeds signs with hybridSign() and verifies against publicKeys", async () => {
  const keys = await deriveKeys(KNOWN_SEED);
  const message = utf8("hello");
  const signature = await hybridSign(keys.seeds, "test/v1", message);
  await hybridVerify(keys.publicKeys, "test/v1", message, signature);
});

Deno.test("libp2pPrivateKey() is the key libp2p derives, with the node's PeerId", async () => {
  const keys = await deriveKeys(KNOWN_SEED);
  const key = await libp2pPrivateKey(keys.seeds.ed25519);
  assert.equal(peerIdFromPrivateKey(key).toString(), KNOWN_PEER_ID);
  assert.deepEqual(key.publicKey.raw, keys.publicKeys.ed25519);
  await assert.rejects(libp2pPrivateKey(new Uint8Array(31)), RangeError);
});
