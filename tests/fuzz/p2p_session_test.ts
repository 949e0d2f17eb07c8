/**
 * Adversarial input for the p2p session layer (plugins/p2p/session): random
 * frames, every single-byte flip and truncation of data and rekey frames,
 * reflected and cross-session frames, and mutated handshake messages. Every
 * refusal is a MeteorError with its code (E_MALFORMED, E_REPLAY,
 * E_DECRYPT_FAILED for frames; E_HANDSHAKE for handshakes), and a refused
 * frame changes no key: the genuine frame still opens afterwards.
 */
import assert from "node:assert/strict";
import { concat, utf8 } from "../../core/bytes.ts";
import type { ErrorCode } from "../../core/errors.ts";
import {
  documentVerifier,
  finishInitiator,
  finishResponder,
  FRAME_HEADER_LENGTH,
  initiate,
  type InitiatorState,
  MAX_FRAME_LENGTH,
  MESSAGE1_LENGTH,
  respond,
  type ResponderState,
} from "../../plugins/p2p/session/mod.ts";
import { sessionPair, testNode } from "../p2p/_fixtures.ts";
import { expectCode, flipped, outcome, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const FRAME_CODES: ErrorCode[] = ["E_MALFORMED", "E_REPLAY", "E_DECRYPT_FAILED"];
const alice = await testNode(11);
const bob = await testNode(12);

Deno.test("Session.receive() refuses random frames and still opens the genuine one", async () => {
  const prng = new Prng("session random");
  const p = await sessionPair(alice, bob);
  p.initiator.send(utf8("genuine"));
  const genuine = p.toResponder.shift()!;
  const header = genuine.subarray(0, FRAME_HEADER_LENGTH);
  const inputs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(MAX_FRAME_LENGTH + 1)];
  for (let i = 0; i < 300; i++) {
    const body = prng.bytes(prng.pick([0, 1, 16, 17, 30, prng.range(0, 300)]));
    inputs.push(prng.chance(0.5) ? concat(header, body) : body);
  }
  for (const [i, frame] of inputs.entries()) {
    await expectCode(
      () => p.responder.receive(frame),
      FRAME_CODES,
      `frame ${i} ${seedNote(prng.seed)}`,
    );
  }
  assert.deepEqual(await p.responder.receive(genuine), utf8("genuine"));
  const rejected = Object.values(p.responder.stats.rejected).reduce((a, b) => a + b, 0);
  assert.equal(rejected, inputs.length, "every refusal is counted");
});

Deno.test("Session.receive() refuses every flip and truncation of a data frame", async () => {
  const prng = new Prng("session flips");
  const p = await sessionPair(alice, bob);
  for (let round = 0; round < 3; round++) {
    const data = prng.bytes(round * 7);
    p.initiator.send(data);
    const genuine = p.toResponder.shift()!;
    for (let i = 0; i < genuine.length; i++) {
      for (const mask of [0x01, 0x80, prng.nonZeroByte()]) {
        const what = `round ${round}: byte ${i} ^ 0x${mask.toString(16)} ${seedNote(prng.seed)}`;
        await expectCode(() => p.responder.receive(flipped(genuine, i, mask)), FRAME_CODES, what);
      }
    }
    for (let n = 0; n < genuine.length; n++) {
      await expectCode(
        () => p.responder.receive(genuine.subarray(0, n)),
        FRAME_CODES,
        `first ${n}`,
      );
    }
    await expectCode(
      () => p.responder.receive(concat(genuine, new Uint8Array(1))),
      FRAME_CODES,
      "+1",
    );
    assert.deepEqual(await p.responder.receive(genuine), data, `round ${round}: genuine frame`);
    await expectCode(() => p.responder.receive(genuine), ["E_REPLAY"], `round ${round}: replay`);
  }
});

Deno.test("Session.receive() refuses reflected, cross-session and tampered rekey frames", async () => {
  const prng = new Prng("session rekey");
  const p = await sessionPair(alice, bob);
  const q = await sessionPair(alice, bob);
  p.initiator.send(utf8("to bob"));
  const frame = p.toResponder.shift()!;
  q.initiator.send(utf8("other session"));
  await expectCode(() => p.initiator.receive(frame), FRAME_CODES, "reflected to its sender");
  await expectCode(() => p.responder.receive(q.toResponder.shift()!), FRAME_CODES, "other session");
  assert.deepEqual(await p.responder.receive(frame), utf8("to bob"));
  // A rekey request: every sampled flip is refused, then the genuine one runs.
  await p.initiator.rekey();
  const request = p.toResponder.shift()!;
  for (let k = 0; k < 150; k++) {
    const i = k < 20 ? k : prng.int(request.length);
    const what = `rekey request byte ${i} ${seedNote(prng.seed)}`;
    await expectCode(
      () => p.responder.receive(flipped(request, i, prng.nonZeroByte())),
      FRAME_CODES,
      what,
    );
  }
  assert.equal(await p.responder.receive(request), null);
  const response = p.toInitiator.shift()!;
  for (let k = 0; k < 150; k++) {
    const i = k < 20 ? k : prng.int(response.length);
    const what = `rekey response byte ${i} ${seedNote(prng.seed)}`;
    await expectCode(
      () => p.initiator.receive(flipped(response, i, prng.nonZeroByte())),
      FRAME_CODES,
      what,
    );
  }
  assert.equal(await p.initiator.receive(response), null);
  // Both sides moved to epoch 1 and still talk; an epoch-0 frame is now stale.
  p.initiator.send(utf8("after rekey"));
  assert.deepEqual(await p.responder.receive(p.toResponder.shift()!), utf8("after rekey"));
  await expectCode(() => p.responder.receive(frame), ["E_REPLAY"], "epoch 0 replay");
  p.responder.send(utf8("back"));
  assert.deepEqual(await p.initiator.receive(p.toInitiator.shift()!), utf8("back"));
});

/** A copy of the initiator state, since finishInitiator wipes the seed it is given. */
const copyInitiator = (s: InitiatorState): InitiatorState => ({
  message1: s.message1,
  ephemeralSeed: s.ephemeralSeed.slice(),
});

/** A copy of the responder state, since finishResponder wipes the secret it is given. */
const copyResponder = (s: ResponderState): ResponderState => ({ ...s, secret: s.secret.slice() });

Deno.test("respond(), finishInitiator() and finishResponder() refuse mutated messages with E_HANDSHAKE", async () => {
  const prng = new Prng("handshake mutations");
  const verify = documentVerifier();
  const state = await initiate();
  const r = await respond(bob.local, state.message1);
  const m1 = state.message1;
  const m2 = r.message2;
  // Message 1: random, wrong length, wrong header. A flipped key may still be a valid key.
  const m1Cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["one short", m1.subarray(0, MESSAGE1_LENGTH - 1)],
    ["one long", concat(m1, new Uint8Array(1))],
    ["version", flipped(m1, 0)],
    ["type", flipped(m1, 1)],
    ["all-0xff key", concat(m1.subarray(0, 34), new Uint8Array(1216).fill(0xff))],
  ];
  for (let i = 0; i < 20; i++) {
    m1Cases.push([`random ${i}`, prng.bytes(prng.pick([MESSAGE1_LENGTH, prng.range(0, 2000)]))]);
  }
  for (const [name, m] of m1Cases) {
    await expectCode(
      () => respond(bob.local, m),
      ["E_HANDSHAKE"],
      `respond: ${name} ${seedNote(prng.seed)}`,
    );
  }
  // Message 2: every header byte, then a sample of the rest; also reflection and random.
  const m2Cases: [string, Uint8Array][] = [
    ["message 1 reflected", m1],
    ["empty", new Uint8Array(0)],
    ["truncated to the KEM part", m2.subarray(0, 2 + 32 + 1120)],
    ["one short", m2.subarray(0, m2.length - 1)],
    ["one long", concat(m2, new Uint8Array(1))],
    ["huge", new Uint8Array(1 << 20)],
  ];
  for (let i = 0; i < 40; i++) m2Cases.push([`byte ${i}`, flipped(m2, i, prng.nonZeroByte())]);
  for (let k = 0; k < 200; k++) {
    const i = prng.int(m2.length);
    m2Cases.push([`byte ${i}`, flipped(m2, i, prng.nonZeroByte())]);
  }
  for (const [name, m] of m2Cases) {
    const what = `finishInitiator: ${name} ${seedNote(prng.seed)}`;
    await expectCode(() => finishInitiator(copyInitiator(state), alice.local, m, verify), [
      "E_HANDSHAKE",
    ], what);
  }
  // A genuine message 2 from another responder than expected is E_ID_MISMATCH, not accepted.
  await expectCode(
    () => finishInitiator(copyInitiator(state), alice.local, m2, verify, alice.keys.meteorId),
    ["E_ID_MISMATCH"],
    "unexpected responder",
  );
  const { message3 } = await finishInitiator(copyInitiator(state), alice.local, m2, verify);
  const m3Cases: [string, Uint8Array][] = [
    ["message 2 reflected", m2],
    ["message 1 reflected", m1],
    ["empty", new Uint8Array(0)],
    ["header only", message3.subarray(0, 2)],
    ["one short", message3.subarray(0, message3.length - 1)],
    ["one long", concat(message3, new Uint8Array(1))],
  ];
  for (let k = 0; k < 200; k++) {
    const i = k < 20 ? k : prng.int(message3.length);
    m3Cases.push([`byte ${i}`, flipped(message3, i, prng.nonZeroByte())]);
  }
  for (const [name, m] of m3Cases) {
    const what = `finishResponder: ${name} ${seedNote(prng.seed)}`;
    await expectCode(() => finishResponder(copyResponder(r), m, verify), ["E_HANDSHAKE"], what);
  }
  // The genuine messages still complete, with the same transcript on both sides.
  const done = await outcome(() => finishResponder(copyResponder(r), message3, verify), "genuine");
  assert.ok(done.ok, "the genuine message 3 completes");
  // Messages replayed from this handshake into a fresh one.
  const state2 = await initiate();
  const r2 = await respond(bob.local, state2.message1);
  await expectCode(
    () => finishInitiator(copyInitiator(state2), alice.local, m2, verify),
    ["E_HANDSHAKE"],
    "old message 2 replayed into a new handshake",
  );
  await expectCode(
    () => finishResponder(copyResponder(r2), message3, verify),
    ["E_HANDSHAKE"],
    "old message 3 replayed into a new handshake",
  );
  // A verifier that throws anything is one undifferentiated E_HANDSHAKE.
  const throwing = () => Promise.reject(new Error("boom"));
  await expectCode(() => finishInitiator(copyInitiator(state), alice.local, m2, throwing), [
    "E_HANDSHAKE",
  ], "verifier throws");
});
