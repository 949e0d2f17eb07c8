import assert from "node:assert/strict";
import { concat, utf8 } from "../../core/bytes.ts";
import { open, seal } from "../../core/crypto/aead.ts";
import { type ErrorCode, isMeteorError } from "../../core/errors.ts";
import {
  documentVerifier,
  finishInitiator,
  finishResponder,
  FRAME_HEADER_LENGTH,
  initiate,
  MAX_DATA_LENGTH,
  respond,
  Session,
} from "../../plugins/p2p/session/mod.ts";
import { ratchetStep } from "../../plugins/p2p/session/_kdf.ts";
import { epochSeq } from "../../plugins/p2p/session/_codec.ts";
import { sessionPair, testNode } from "./_fixtures.ts";

const alice = await testNode(1);
const bob = await testNode(2);

async function rejects(promise: Promise<unknown>, code: ErrorCode, what: string) {
  await assert.rejects(promise, (err) => isMeteorError(err, code), what);
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] ^= 0x80;
  return out;
}

Deno.test("Session.send() and receive() carry data both ways at sizes 0, 1, max-1, max", async () => {
  const p = await sessionPair(alice, bob);
  for (const size of [0, 1, MAX_DATA_LENGTH - 1, MAX_DATA_LENGTH]) {
    const data = crypto.getRandomValues(new Uint8Array(size));
    p.initiator.send(data);
    assert.deepEqual(await p.responder.receive(p.toResponder.shift()!), data);
    p.responder.send(data);
    assert.deepEqual(await p.initiator.receive(p.toInitiator.shift()!), data);
  }
  assert.equal(p.initiator.stats.framesOut, 4);
  assert.equal(p.responder.stats.framesIn, 4);
});

Deno.test("Session carries empty data frames (the 31-byte minimum) as data, across a rekey", async () => {
  const p = await sessionPair(alice, bob);
  const empty = async () => {
    p.initiator.send(new Uint8Array(0));
    const frame = p.toResponder.shift()!;
    assert.equal(frame.length, FRAME_HEADER_LENGTH + 1 + 16);
    // An empty Uint8Array, not null: it is application data, not a control frame.
    assert.deepEqual(await p.responder.receive(frame), new Uint8Array(0));
    return frame;
  };
  const first = await empty();
  await rejects(p.responder.receive(first.subarray(0, first.length - 1)), "E_MALFORMED", "30 B");
  p.responder.send(utf8("after empty"));
  assert.deepEqual(await p.initiator.receive(p.toInitiator.shift()!), utf8("after empty"));
  await p.initiator.rekey();
  assert.equal(await p.responder.receive(p.toResponder.shift()!), null);
  assert.equal(await p.initiator.receive(p.toInitiator.shift()!), null);
  assert.equal(p.initiator.epoch, 1);
  await empty();
  assert.equal(p.responder.stats.framesIn, 3);
  assert.deepEqual(p.responder.stats.rejected, { E_MALFORMED: 1 });
});

Deno.test("Session.send() refuses more than MAX_DATA_LENGTH bytes", async () => {
  const p = await sessionPair(alice, bob);
  assert.throws(() => p.initiator.send(new Uint8Array(MAX_DATA_LENGTH + 1)), RangeError);
  assert.equal(p.toResponder.length, 0);
});

Deno.test("Session.receive() rejects a replayed frame with E_REPLAY and counts it", async () => {
  const p = await sessionPair(alice, bob);
  p.initiator.send(utf8("once"));
  const frame = p.toResponder[0];
  await p.responder.receive(frame);
  await rejects(p.responder.receive(frame), "E_REPLAY", "replay");
  assert.equal(p.responder.stats.rejected.E_REPLAY, 1);
});

Deno.test("Session.receive() rejects reordered frames and then accepts them in order", async () => {
  const p = await sessionPair(alice, bob);
  p.initiator.send(utf8("one"));
  p.initiator.send(utf8("two"));
  const [one, two] = p.toResponder;
  await rejects(p.responder.receive(two), "E_REPLAY", "reordered");
  assert.deepEqual(await p.responder.receive(one), utf8("one"));
  assert.deepEqual(await p.responder.receive(two), utf8("two"));
});

Deno.test("Session.receive() rejects forged and truncated frames without losing its state", async () => {
  const p = await sessionPair(alice, bob);
  p.initiator.send(utf8("genuine message"));
  const frame = p.toResponder[0];
  const cases: [string, Uint8Array, ErrorCode][] = [
    ["empty", new Uint8Array(0), "E_MALFORMED"],
    ["below minimum", frame.subarray(0, 30), "E_MALFORMED"],
    ["over maximum", new Uint8Array(70_001), "E_MALFORMED"],
    ["version", flip(frame, 0), "E_MALFORMED"],
    ["type", flip(frame, 1), "E_MALFORMED"],
    ["epoch", flip(frame, 2), "E_REPLAY"],
    ["seq", flip(frame, 13), "E_REPLAY"],
    ["kind byte", flip(frame, 14), "E_DECRYPT_FAILED"],
    ["body", flip(frame, 20), "E_DECRYPT_FAILED"],
    ["tag", flip(frame, frame.length - 1), "E_DECRYPT_FAILED"],
    ["truncated n-1", frame.subarray(0, frame.length - 1), "E_DECRYPT_FAILED"],
    ["extended n+1", concat(frame, new Uint8Array(1)), "E_DECRYPT_FAILED"],
    ["garbage", new Uint8Array(frame.length).fill(0xa5), "E_MALFORMED"],
  ];
  for (const [name, bad, code] of cases) {
    await rejects(p.responder.receive(bad), code, name);
  }
  assert.equal(p.responder.stats.rejected.E_DECRYPT_FAILED, 5);
  assert.deepEqual(await p.responder.receive(frame), utf8("genuine message"));
});

Deno.test("Session deletes used keys: the chain advances and an old key opens nothing new", async () => {
  const verify = documentVerifier();
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  const { message3, result } = await finishInitiator(state, alice.local, r.message2, verify);
  const responderResult = await finishResponder(r, message3, verify);
  const chain0 = result.chains.i2r.slice();
  const frames: Uint8Array[] = [];
  const sender = new Session(result, (f) => frames.push(f));
  const receiver = new Session(responderResult, () => {});
  sender.send(utf8("first"));
  // The session wiped the chain key it was given once it stepped past it.
  assert.deepEqual(result.chains.i2r, new Uint8Array(32));
  // The first frame is readable with mk0 from chain0 (docs/protocol.md §4) ...
  const { messageKey: mk0, next: chain1 } = ratchetStep(chain0);
  const header0 = frames[0].subarray(0, 14);
  assert.deepEqual(open(mk0, epochSeq(0, 0), frames[0].subarray(14), header0), utf8("\x01first"));
  await receiver.receive(frames[0]);
  // ... but the receiver no longer holds mk0: the same ciphertext relabelled seq 1 fails.
  const relabelled = concat(new Uint8Array([1, 0x10]), epochSeq(0, 1), frames[0].subarray(14));
  await rejects(receiver.receive(relabelled), "E_DECRYPT_FAILED", "old key");
  // The next frame uses mk1 from chain1, not mk0.
  sender.send(utf8("second"));
  const mk1 = ratchetStep(chain1).messageKey;
  assert.notDeepEqual(mk1, mk0);
  const header1 = frames[1].subarray(0, 14);
  assert.deepEqual(open(mk1, epochSeq(0, 1), frames[1].subarray(14), header1), utf8("\x01second"));
  assert.throws(() => open(mk0, epochSeq(0, 1), frames[1].subarray(14), header1));
});

Deno.test("Session.receive() rejects an authentic frame of unknown kind with E_MALFORMED", async () => {
  const verify = documentVerifier();
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  const { message3 } = await finishInitiator(state, alice.local, r.message2, verify);
  const responderResult = await finishResponder(r, message3, verify);
  const { messageKey } = ratchetStep(responderResult.chains.i2r.slice());
  const receiver = new Session(responderResult, () => {});
  const header = concat(new Uint8Array([1, 0x10]), epochSeq(0, 0));
  const forged = concat(header, seal(messageKey, epochSeq(0, 0), new Uint8Array([9]), header));
  await rejects(receiver.receive(forged), "E_MALFORMED", "kind 9");
});

Deno.test("Session.rekey() moves both directions to a new epoch, with frames in flight", async () => {
  const p = await sessionPair(alice, bob);
  for (let round = 1; round <= 3; round++) {
    await p.initiator.rekey();
    p.initiator.send(utf8(`i-before-${round}`)); // sent after the request, still old epoch
    p.responder.send(utf8(`r-before-${round}`)); // sent before the responder sees the request
    const request = p.toResponder.shift()!;
    assert.equal(await p.responder.receive(request), null);
    assert.equal(p.responder.epoch, round);
    p.responder.send(utf8(`r-after-${round}`));
    assert.deepEqual(await p.responder.receive(p.toResponder.shift()!), utf8(`i-before-${round}`));
    // Initiator: the responder's old-epoch data, the response, then new-epoch data.
    assert.deepEqual(await p.initiator.receive(p.toInitiator.shift()!), utf8(`r-before-${round}`));
    assert.equal(await p.initiator.receive(p.toInitiator.shift()!), null);
    assert.equal(p.initiator.epoch, round);
    assert.deepEqual(await p.initiator.receive(p.toInitiator.shift()!), utf8(`r-after-${round}`));
    p.initiator.send(utf8(`i-after-${round}`));
    const next = p.toResponder.shift()!;
    assert.deepEqual(await p.responder.receive(next), utf8(`i-after-${round}`));
    await rejects(p.responder.receive(next), "E_REPLAY", "replay after rekey");
  }
  assert.equal(p.initiator.stats.rekeys, 3);
  assert.equal(p.responder.stats.rekeys, 3);
});

Deno.test("Session.rekeyDue() fires after N messages or T milliseconds, initiator only", async () => {
  let now = 1_000;
  const p = await sessionPair(alice, bob, {
    rekeyAfterMessages: 3,
    rekeyAfterMs: 500,
    now: () => now,
  });
  assert.equal(p.initiator.rekeyDue(), false);
  p.initiator.send(utf8("1"));
  p.initiator.send(utf8("2"));
  assert.equal(p.initiator.rekeyDue(), false);
  p.responder.send(utf8("3"));
  await p.initiator.receive(p.toInitiator.shift()!);
  assert.equal(p.initiator.rekeyDue(), true);
  assert.equal(p.responder.rekeyDue(), false);
  await assert.rejects(p.responder.rekey(), TypeError);
  await p.initiator.rekey();
  assert.equal(p.initiator.rekeyDue(), false, "not while a rekey is in flight");
  for (const f of p.toResponder.splice(0)) await p.responder.receive(f);
  for (const f of p.toInitiator.splice(0)) await p.initiator.receive(f);
  assert.equal(p.initiator.epoch, 1);
  assert.equal(p.initiator.rekeyDue(), false);
  now += 500;
  assert.equal(p.initiator.rekeyDue(), true);
});

Deno.test("Session.close() wipes keys and refuses further use with E_UNREACHABLE", async () => {
  const p = await sessionPair(alice, bob);
  p.initiator.send(utf8("x"));
  p.responder.close();
  assert.equal(p.responder.closed, true);
  assert.throws(() => p.responder.send(utf8("y")), (err) => isMeteorError(err, "E_UNREACHABLE"));
  await rejects(p.responder.receive(p.toResponder[0]), "E_UNREACHABLE", "closed");
});
