/**
 * A hostile peer on a Meteor session stream (plugins/p2p/channel.ts), over
 * in-memory fake libp2p streams: garbage or silence during the handshake,
 * a handshake from another PeerId, and garbage frames after an honest
 * handshake. The local side fails with a MeteorError, aborts the stream, and
 * hands the application only genuine data.
 */
import assert from "node:assert/strict";
import type { Stream } from "@libp2p/interface";
import { concat, utf8 } from "../../core/bytes.ts";
import type { ErrorCode } from "../../core/errors.ts";
import {
  acceptChannel,
  type Channel,
  initiateChannel,
  pumpChannel,
} from "../../plugins/p2p/channel.ts";
import { encodeFrame } from "../../plugins/p2p/_framing.ts";
import { documentVerifier, MESSAGE1_LENGTH } from "../../plugins/p2p/session/mod.ts";
import { testNode } from "../p2p/_fixtures.ts";
import { assertCode, expectCode, outcome, seedNote, withTimeout } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const HANDSHAKE_CODES: ErrorCode[] = ["E_HANDSHAKE", "E_MALFORMED", "E_TIMEOUT"];
const FRAME_CODES: ErrorCode[] = ["E_MALFORMED", "E_REPLAY", "E_DECRYPT_FAILED"];
const alice = await testNode(21);
const bob = await testNode(22);
const verify = documentVerifier();

/** One end of an in-memory duplex stream. */
interface FakeEnd {
  stream: Stream;
  /** Bytes this end sent. */
  sent: Uint8Array[];
  /** Delivers bytes to this end's reader. */
  deliver(bytes: Uint8Array): void;
  /** Ends this end's input. */
  end(): void;
  /** Why this end was aborted, if it was. */
  aborted(): unknown;
}

/** A fake libp2p stream whose input is fed by `deliver` and whose output goes to `onSend`. */
function fakeEnd(onSend: (bytes: Uint8Array) => void = () => {}): FakeEnd {
  const queue: (Uint8Array | null)[] = [];
  let wake: (() => void) | null = null;
  let abortReason: unknown;
  const sent: Uint8Array[] = [];
  const push = (item: Uint8Array | null) => {
    queue.push(item);
    wake?.();
    wake = null;
  };
  const stream = {
    writableNeedsDrain: false,
    onDrain: () => Promise.resolve(),
    send(bytes: Uint8Array) {
      sent.push(bytes);
      onSend(bytes);
      return true;
    },
    abort(err: unknown) {
      abortReason = err;
      push(null);
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item === null) return;
        yield item;
      }
    },
  };
  return {
    stream: stream as unknown as Stream,
    sent,
    deliver: (bytes) => push(bytes),
    end: () => push(null),
    aborted: () => abortReason,
  };
}

/** Two connected ends: what one sends, the other reads. */
function fakePair(): [FakeEnd, FakeEnd] {
  const ends: FakeEnd[] = [];
  ends.push(fakeEnd((bytes) => ends[1].deliver(bytes)));
  ends.push(fakeEnd((bytes) => ends[0].deliver(bytes)));
  return [ends[0], ends[1]];
}

Deno.test("acceptChannel() refuses a peer that sends garbage or stays silent", async () => {
  const prng = new Prng("channel accept");
  const options = { local: bob.local, verify, remotePeerId: alice.keys.peerId, timeoutMs: 200 };
  const inputs: [string, Uint8Array[]][] = [
    ["nothing, then the end", []],
    ["silence", [new Uint8Array(0)]],
    ["a zero length", [new Uint8Array(4)]],
    ["a huge length", [new Uint8Array([0xff, 0xff, 0xff, 0xff])]],
    ["half a length", [new Uint8Array([0, 0])]],
    ["a short frame, then silence", [new Uint8Array([0, 0, 0, 9, 1, 2])]],
    ["message 1 of zeros", [encodeFrame(new Uint8Array(MESSAGE1_LENGTH))]],
  ];
  for (let i = 0; i < 20; i++) {
    inputs.push([`random frame ${i}`, [encodeFrame(prng.bytes(prng.range(1, 3000)))]]);
    inputs.push([`random bytes ${i}`, [prng.bytes(prng.range(1, 3000))]]);
  }
  for (const [name, pieces] of inputs) {
    const what = `${name} ${seedNote(prng.seed)}`;
    const end = fakeEnd();
    for (const piece of pieces) if (piece.length > 0) end.deliver(piece);
    if (name === "nothing, then the end") end.end();
    await expectCode(() => acceptChannel(end.stream, options), HANDSHAKE_CODES, what);
    assert.ok(end.aborted() !== undefined, `${what}: the stream was not aborted`);
  }
});

Deno.test("initiateChannel() refuses a responder that answers garbage, or is someone else", async () => {
  const prng = new Prng("channel initiate");
  const options = { local: alice.local, verify, remotePeerId: bob.keys.peerId, timeoutMs: 200 };
  for (let i = 0; i < 20; i++) {
    const end = fakeEnd();
    const reply = prng.chance(0.5)
      ? encodeFrame(prng.bytes(prng.range(1, 12_000)))
      : prng.bytes(prng.range(1, 100));
    end.deliver(reply);
    const what = `garbage reply ${i} ${seedNote(prng.seed)}`;
    await expectCode(() => initiateChannel(end.stream, options), HANDSHAKE_CODES, what);
    assert.ok(end.aborted() !== undefined, what);
  }
  // An honest handshake with bob, on a connection that claims another PeerId.
  for (
    const [initiatorPeer, responderPeer] of [[alice.keys.peerId, "12D3KooWother"], [
      "12D3KooWother",
      bob.keys.peerId,
    ]]
  ) {
    const [a, b] = fakePair();
    const [ini, res] = await Promise.all([
      outcome(
        () => initiateChannel(a.stream, { ...options, remotePeerId: responderPeer }),
        "initiator",
      ),
      outcome(
        () =>
          acceptChannel(b.stream, {
            local: bob.local,
            verify,
            remotePeerId: initiatorPeer,
            timeoutMs: 500,
          }),
        "responder",
      ),
    ]);
    const failed = [ini, res].filter((r) => !r.ok);
    assert.ok(failed.length >= 1, "a PeerId mismatch must fail one side");
    for (const r of failed) {
      if (!r.ok) assertCode(r.error, ["E_ID_MISMATCH", ...HANDSHAKE_CODES], "PeerId mismatch");
    }
    for (const r of [ini, res]) if (r.ok) r.value.session.close();
  }
});

/** The 14-byte header (version, type, epoch, seq) of the next frame `channel` will send. */
function nextHeader(channel: Channel): Uint8Array {
  const header = new Uint8Array(14);
  header.set([1, 0x10]);
  const view = new DataView(header.buffer);
  view.setUint32(2, channel.session.epoch);
  view.setBigUint64(6, BigInt(channel.session.stats.framesOut));
  return header;
}

/** An honest channel pair. */
async function honestPair(): Promise<{ a: Channel; b: Channel; ends: [FakeEnd, FakeEnd] }> {
  const ends = fakePair();
  const [a, b] = await Promise.all([
    initiateChannel(ends[0].stream, { local: alice.local, verify, remotePeerId: bob.keys.peerId }),
    acceptChannel(ends[1].stream, { local: bob.local, verify, remotePeerId: alice.keys.peerId }),
  ]);
  return { a, b, ends };
}

Deno.test("pumpChannel() drops the channel at the first bad frame and delivers only genuine data", async () => {
  const prng = new Prng("channel pump");
  for (let round = 0; round < 12; round++) {
    const { a, b, ends } = await honestPair();
    const received: Uint8Array[] = [];
    const pumping = outcome(
      () => pumpChannel(b, (data) => void received.push(data)),
      "pump",
      5_000,
    );
    a.session.send(utf8("one"));
    a.session.send(utf8("two"));
    // Then the attacker (on the wire) injects one bad frame, then a genuine one.
    const genuine = () => {
      a.session.send(utf8("three"));
    };
    const kind = round % 4;
    const injected = kind === 0
      ? encodeFrame(prng.bytes(prng.range(1, 200)))
      : kind === 1
      ? ends[0].sent[ends[0].sent.length - 1] // A replay of the last frame.
      : kind === 2
      // The next frame's header with a random body: it cannot authenticate.
      ? encodeFrame(concat(nextHeader(a), prng.bytes(prng.range(17, 100))))
      : concat(new Uint8Array([0, 1, 0x11, 0x71]), new Uint8Array(10)); // A length over the limit.
    ends[1].deliver(injected);
    genuine();
    const result = await withTimeout(pumping, "pump");
    const what = `round ${round} (kind ${kind}) ${seedNote(prng.seed)}`;
    assert.ok(!result.ok, `${what}: the pump kept going after a bad frame`);
    assertCode(result.error, FRAME_CODES, what);
    assert.deepEqual(received, [utf8("one"), utf8("two")], what);
    assert.ok(ends[1].aborted() !== undefined, `${what}: the stream was not aborted`);
    assert.equal(b.session.closed, true, `${what}: the session was not closed`);
    a.session.close();
  }
});
