import assert from "node:assert/strict";
import { concat } from "../../core/bytes.ts";
import { type ErrorCode, isMeteorError } from "../../core/errors.ts";
import { seedSigner } from "../../core/crypto/sign.ts";
import {
  documentVerifier,
  finishInitiator,
  finishResponder,
  initiate,
  type LocalIdentity,
  MESSAGE1_LENGTH,
  respond,
} from "../../plugins/p2p/session/mod.ts";
import { testNode } from "./_fixtures.ts";

const alice = await testNode(1);
const bob = await testNode(2);
const mallory = await testNode(3);
const verify = documentVerifier();

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] ^= 0x01;
  return out;
}

async function rejects(promise: Promise<unknown>, code: ErrorCode, what: string) {
  await assert.rejects(promise, (err) => isMeteorError(err, code), what);
}

/** Runs a handshake, letting `tamper` alter each message in transit. */
async function handshake(
  tamper: { m1?: (m: Uint8Array) => Uint8Array; m2?: typeof tamperNone; m3?: typeof tamperNone },
  responder: LocalIdentity = bob.local,
  expectedId: Uint8Array = bob.keys.meteorId,
) {
  const state = await initiate();
  const r = await respond(responder, (tamper.m1 ?? tamperNone)(state.message1));
  const { message3, result } = await finishInitiator(
    state,
    alice.local,
    (tamper.m2 ?? tamperNone)(r.message2),
    verify,
    expectedId,
  );
  const peer = await finishResponder(r, (tamper.m3 ?? tamperNone)(message3), verify);
  return { initiator: result, responder: peer };
}
const tamperNone = (m: Uint8Array) => m;

Deno.test("handshake() round trip agrees on transcript, keys and both MeteorIDs", async () => {
  const { initiator, responder } = await handshake({});
  assert.deepEqual(initiator.transcriptHash, responder.transcriptHash);
  assert.deepEqual(initiator.peer.meteorId, bob.keys.meteorId);
  assert.deepEqual(responder.peer.meteorId, alice.keys.meteorId);
  assert.equal(initiator.peer.peerId, bob.keys.peerId);
  assert.equal(responder.peer.peerId, alice.keys.peerId);
  assert.deepEqual(initiator.chains, responder.chains);
  assert.deepEqual(initiator.root, responder.root);
  assert.notDeepEqual(initiator.chains.i2r, initiator.chains.r2i);
});

Deno.test("handshake() gives fresh keys every time (ephemeral X-Wing)", async () => {
  const one = await handshake({});
  const two = await handshake({});
  assert.notDeepEqual(one.initiator.root, two.initiator.root);
  assert.notDeepEqual(one.initiator.transcriptHash, two.initiator.transcriptHash);
});

Deno.test("initiate() makes a 1250-byte message 1", async () => {
  assert.equal((await initiate()).message1.length, MESSAGE1_LENGTH);
  assert.equal(MESSAGE1_LENGTH, 1250);
});

Deno.test("finishInitiator() refuses a valid stranger when another MeteorID was expected", async () => {
  await rejects(handshake({}, mallory.local), "E_ID_MISMATCH", "stranger");
});

Deno.test("finishInitiator() refuses a stranger presenting the contact's document", async () => {
  // Mallory has Bob's public document but only her own signing keys.
  const impostor: LocalIdentity = {
    meteorId: bob.keys.meteorId,
    document: bob.local.document,
    signer: seedSigner(mallory.keys.seeds),
  };
  await rejects(handshake({}, impostor), "E_HANDSHAKE", "impostor responder");
});

Deno.test("finishResponder() refuses an initiator presenting another node's document", async () => {
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  const impostor: LocalIdentity = {
    meteorId: alice.keys.meteorId,
    document: alice.local.document,
    signer: seedSigner(mallory.keys.seeds),
  };
  const { message3 } = await finishInitiator(state, impostor, r.message2, verify);
  await rejects(finishResponder(r, message3, verify), "E_HANDSHAKE", "impostor initiator");
});

Deno.test("handshake() rejects an expired identity document", async () => {
  const later = documentVerifier(() => Date.now() + 365 * 24 * 3600 * 1000);
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  await rejects(finishInitiator(state, alice.local, r.message2, later), "E_HANDSHAKE", "expired");
});

Deno.test("handshake() rejects message 1 tampered at every field or resized", async () => {
  await handshake({ m1: tamperNone }); // control: the untampered message passes
  const positions = [0, 1, 2, 33, 34, 34 + 1183, 34 + 1184, MESSAGE1_LENGTH - 1];
  const cases: [string, (m: Uint8Array) => Uint8Array][] = [
    ...positions.map((i): [string, (m: Uint8Array) => Uint8Array] => [
      `flip ${i}`,
      (m) => flip(m, i),
    ]),
    ["empty", () => new Uint8Array(0)],
    ["n-1", (m) => m.subarray(0, m.length - 1)],
    ["n+1", (m) => concat(m, new Uint8Array(1))],
  ];
  for (const [name, tamper] of cases) {
    await rejects(handshake({ m1: tamper }), "E_HANDSHAKE", name);
  }
});

Deno.test("finishInitiator() rejects message 2 tampered at every field or resized", async () => {
  const state = await initiate();
  const { message2 } = await respond(bob.local, state.message1);
  const positions = [0, 1, 2, 33, 34, 34 + 1087, 34 + 1088, 1153, 1154, 1156, 2000, 5000];
  positions.push(message2.length - 17, message2.length - 16, message2.length - 1);
  const variants: [string, Uint8Array][] = [
    ...positions.map((i): [string, Uint8Array] => [`flip ${i}`, flip(message2, i)]),
    ["empty", new Uint8Array(0)],
    ["header only", message2.subarray(0, 1154)],
    ["n-1", message2.subarray(0, message2.length - 1)],
    ["n+1", concat(message2, new Uint8Array(1))],
  ];
  const control = { message1: state.message1, ephemeralSeed: state.ephemeralSeed.slice() };
  await finishInitiator(control, alice.local, message2, verify); // the untampered one passes
  for (const [name, m2] of variants) {
    const fresh = { message1: state.message1, ephemeralSeed: state.ephemeralSeed.slice() };
    await rejects(finishInitiator(fresh, alice.local, m2, verify), "E_HANDSHAKE", name);
  }
});

Deno.test("finishInitiator() rejects message 2 of another handshake (replay)", async () => {
  const old = await initiate();
  const { message2 } = await respond(bob.local, old.message1);
  const state = await initiate();
  await rejects(finishInitiator(state, alice.local, message2, verify), "E_HANDSHAKE", "replay");
});

Deno.test("finishResponder() rejects message 3 tampered at every field or resized", async () => {
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  const { message3 } = await finishInitiator(state, alice.local, r.message2, verify);
  const positions = [0, 1, 2, 3, 4, 100, 3000, message3.length - 17, message3.length - 1];
  const variants: [string, Uint8Array][] = [
    ...positions.map((i): [string, Uint8Array] => [`flip ${i}`, flip(message3, i)]),
    ["empty", new Uint8Array(0)],
    ["header only", message3.subarray(0, 2)],
    ["n-1", message3.subarray(0, message3.length - 1)],
    ["n+1", concat(message3, new Uint8Array(1))],
  ];
  await finishResponder({ ...r, secret: r.secret.slice() }, message3, verify); // control
  for (const [name, m3] of variants) {
    const fresh = { ...r, secret: r.secret.slice() };
    await rejects(finishResponder(fresh, m3, verify), "E_HANDSHAKE", name);
  }
});

Deno.test("finishInitiator() wipes the ephemeral seed, finishResponder() the handshake secret", async () => {
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  const { message3 } = await finishInitiator(state, alice.local, r.message2, verify);
  assert.deepEqual(state.ephemeralSeed, new Uint8Array(32));
  await finishResponder(r, message3, verify);
  assert.deepEqual(r.secret, new Uint8Array(32));
});
