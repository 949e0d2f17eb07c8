import assert from "node:assert/strict";
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { peerIdOf } from "../../core/identity/peer_id.ts";
import { ed25519PublicKey } from "../../core/crypto/sign.ts";

Deno.test("peerIdOf() is the PeerId @libp2p/peer-id gives the same Ed25519 key", async () => {
  const keys: Uint8Array[] = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
  for (let i = 0; i < 32; i++) {
    keys.push(await ed25519PublicKey(crypto.getRandomValues(new Uint8Array(32))));
  }
  for (const key of keys) {
    const expected = peerIdFromPublicKey(publicKeyFromRaw(key)).toString();
    assert.equal(peerIdOf(key), expected);
    assert.match(expected, /^12D3KooW/);
  }
});

Deno.test("peerIdOf() refuses a key of 31 or 33 bytes", () => {
  for (const length of [0, 31, 33]) {
    assert.throws(() => peerIdOf(new Uint8Array(length)), RangeError, `${length} bytes`);
  }
});
