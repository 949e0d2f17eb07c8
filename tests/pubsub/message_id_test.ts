import assert from "node:assert/strict";
import { peerIdFromString } from "@libp2p/peer-id";
import { seedSigner, sha256 } from "../../core/crypto/mod.ts";
import { deriveKeys } from "../../core/identity/mod.ts";
import { messageId } from "../../plugins/pubsub/_message_id.ts";
import { sealEnvelope } from "../../plugins/pubsub/envelope.ts";

const author = await deriveKeys(new Uint8Array(32).fill(1));
const other = await deriveKeys(new Uint8Array(32).fill(2));
const data = await sealEnvelope("t", {
  kind: "public",
  timestamp: 1,
  nonce: new Uint8Array(16),
  author: author.publicKeys,
  epoch: 0,
  body: new Uint8Array([104, 105]),
}, seedSigner(author.seeds));
const peerIdBytes = (id: string) => peerIdFromString(id).toMultihash().bytes;

Deno.test("messageId() is SHA-256 of the envelope when the libp2p author is the envelope's", () => {
  assert.deepEqual(messageId(peerIdBytes(author.peerId), data), sha256(data));
});

Deno.test("messageId() of a copy from any other sender differs from the genuine ID", () => {
  const genuine = sha256(data);
  const cases: [string, Uint8Array | undefined, Uint8Array][] = [
    ["another peer", peerIdBytes(other.peerId), data],
    ["no sender", undefined, data],
    ["an empty sender", new Uint8Array(0), data],
    [
      "the author's key with a byte changed",
      peerIdBytes(author.peerId).map((b, i) => i === 37 ? b ^ 1 : b),
      data,
    ],
    ["a short envelope", peerIdBytes(author.peerId), data.subarray(0, 40)],
  ];
  for (const [name, from, bytes] of cases) {
    const id = messageId(from, bytes);
    assert.equal(id.length, 32, name);
    assert.notDeepEqual(id, genuine, name);
  }
  // Two senders never share one: the sender is length-prefixed into the hash.
  assert.notDeepEqual(messageId(undefined, data), messageId(peerIdBytes(other.peerId), data));
  // A sender and envelope chosen to spell the genuine envelope still get another ID.
  assert.notDeepEqual(messageId(data.subarray(1, 78), data.subarray(78)), genuine);
  assert.deepEqual(
    messageId(peerIdBytes(other.peerId), data),
    sha256(new Uint8Array([0xff, 0, 38, ...peerIdBytes(other.peerId), ...data])),
  );
});
