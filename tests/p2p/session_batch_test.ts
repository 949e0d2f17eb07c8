import assert from "node:assert/strict";
import { utf8 } from "../../core/bytes.ts";
import type { AeadJob } from "../../core/crypto/batch_types.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import { type ErrorCode, isMeteorError } from "../../core/errors.ts";
import {
  type FrameSealer,
  MAX_DATA_LENGTH,
  Session,
  type SessionOptions,
} from "../../plugins/p2p/session/mod.ts";
import { copyResult, handshakeResults, testNode } from "./_fixtures.ts";

const alice = await testNode(1);
const bob = await testNode(2);
const results = await handshakeResults(alice, bob);

/** A sealer that always batches, through the CPU batch engine, and counts its calls. */
function batchingSealer(seal: FrameSealer["sealBatch"] = (jobs) => cpuBatchAead.sealBatch(jobs)) {
  const calls: number[] = [];
  const sealer: FrameSealer = {
    batchWins: () => true,
    sealBatch(jobs: readonly AeadJob[]) {
      calls.push(jobs.length);
      return seal(jobs);
    },
  };
  return { sealer, calls };
}

/** An initiator session on a copy of the shared handshake's keys, recording its writes. */
function initiator(options: SessionOptions = {}) {
  const frames: Uint8Array[] = [];
  const writes: number[] = [];
  const session = new Session(copyResult(results.initiator), (f) => {
    frames.push(f);
    writes.push(1);
  }, {
    ...options,
    transmitBatch: (batch) => {
      frames.push(...batch);
      writes.push(batch.length);
    },
  });
  return { session, frames, writes };
}

function responder(): Session {
  return new Session(copyResult(results.responder), () => {});
}

async function rejects(promise: Promise<unknown>, code: ErrorCode, what: string) {
  await assert.rejects(promise, (err) => isMeteorError(err, code), what);
}

const SIZES = [0, 1, 63, 64, 65, 1024, MAX_DATA_LENGTH - 1, MAX_DATA_LENGTH];
const DATA = SIZES.map((size) => crypto.getRandomValues(new Uint8Array(size)));

Deno.test("Session.sendBatch() puts the bytes send() does on the wire, per call or batched", async () => {
  const perCall = initiator();
  for (const data of DATA) perCall.session.send(data);
  assert.deepEqual(perCall.writes, DATA.map(() => 1));

  const noSealer = initiator();
  await noSealer.session.sendBatch(DATA);
  const declining = initiator({
    sealer: {
      batchWins: () => false,
      sealBatch: () => Promise.reject(new Error("must not be called")),
    },
  });
  await declining.session.sendBatch(DATA);
  const { sealer, calls } = batchingSealer();
  const batched = initiator({ sealer });
  await batched.session.sendBatch(DATA);

  for (
    const [what, run] of [["no sealer", noSealer], ["declined", declining], [
      "batched",
      batched,
    ]] as const
  ) {
    assert.deepEqual(run.frames, perCall.frames, what);
    assert.deepEqual(run.writes, [DATA.length], `${what}: one write of every frame`);
    assert.equal(run.session.stats.framesOut, DATA.length, what);
  }
  assert.deepEqual(calls, [DATA.length], "one batch call for the whole batch");
  assert.equal(batched.session.stats.framesBatched, DATA.length);
  assert.equal(declining.session.stats.framesBatched, 0);

  const receiver = responder();
  for (const [i, frame] of batched.frames.entries()) {
    assert.deepEqual(await receiver.receive(frame), DATA[i], `frame ${i}`);
  }
});

Deno.test("Session: batched frames replayed or reordered are still rejected, and change no key", async () => {
  const { sealer } = batchingSealer();
  const sender = initiator({ sealer });
  const data = ["zero", "one", "two"].map(utf8);
  await sender.session.sendBatch(data);
  const [f0, f1, f2] = sender.frames;
  const receiver = responder();
  assert.deepEqual(await receiver.receive(f0), data[0]);
  await rejects(receiver.receive(f0), "E_REPLAY", "replayed");
  await rejects(receiver.receive(f2), "E_REPLAY", "ahead of its turn");
  assert.deepEqual(await receiver.receive(f1), data[1]);
  assert.deepEqual(await receiver.receive(f2), data[2]);
  await rejects(receiver.receive(f1), "E_REPLAY", "an old one");
  assert.deepEqual(receiver.stats.rejected, { E_REPLAY: 3 });
  assert.equal(receiver.stats.framesIn, 3);
});

Deno.test("Session: frames sent while a batch is being sealed follow it on the wire, in seq order", async () => {
  const release = Promise.withResolvers<void>();
  const { sealer } = batchingSealer(async (jobs) => {
    await release.promise;
    return await cpuBatchAead.sealBatch(jobs);
  });
  const sender = initiator({ sealer });
  const first = sender.session.sendBatch([utf8("a"), utf8("b")]);
  sender.session.send(utf8("c"));
  const second = sender.session.sendBatch([utf8("d")]);
  const other = initiator(); // another session is not held up
  other.session.send(utf8("x"));
  assert.equal(other.frames.length, 1);
  assert.equal(sender.frames.length, 0, "nothing goes out before the batch is sealed");
  release.resolve();
  await Promise.all([first, second]);
  assert.deepEqual(sender.writes, [2, 1, 1]);
  const receiver = responder();
  const got: string[] = [];
  for (const frame of sender.frames) {
    got.push(new TextDecoder().decode((await receiver.receive(frame))!));
  }
  assert.deepEqual(got, ["a", "b", "c", "d"]);
  sender.session.send(utf8("e"));
  assert.equal(sender.frames.length, 5, "once the backlog is out, frames go out at once again");
});

Deno.test("Session.sendBatch(): a failed or wrong batch call closes the session and sends nothing", async () => {
  const cases: [string, FrameSealer["sealBatch"]][] = [
    ["rejected", () => Promise.reject(new Error("device lost"))],
    ["too few results", (jobs) => cpuBatchAead.sealBatch(jobs.slice(1))],
    [
      "a result of the wrong length",
      async (jobs) => (await cpuBatchAead.sealBatch(jobs)).map((r) => r.subarray(1)),
    ],
  ];
  for (const [what, seal] of cases) {
    const { sealer } = batchingSealer(seal);
    const sender = initiator({ sealer });
    await assert.rejects(sender.session.sendBatch([utf8("a"), utf8("b")]), what);
    assert.equal(sender.session.closed, true, what);
    assert.deepEqual(sender.frames, [], what);
    assert.throws(
      () => sender.session.send(utf8("c")),
      (err) => isMeteorError(err, "E_UNREACHABLE"),
    );
  }
});

Deno.test("Session.sendBatch() refuses bad items before it takes any seq", async () => {
  const { sealer, calls } = batchingSealer();
  const sender = initiator({ sealer });
  assert.throws(
    () => sender.session.sendBatch([utf8("ok"), new Uint8Array(MAX_DATA_LENGTH + 1)]),
    RangeError,
  );
  assert.throws(
    () => sender.session.sendBatch([utf8("ok"), "text" as unknown as Uint8Array]),
    TypeError,
  );
  await sender.session.sendBatch([]);
  assert.equal(sender.session.stats.framesOut, 0);
  assert.deepEqual(calls, []);
  await sender.session.sendBatch([utf8("first")]);
  assert.deepEqual(await responder().receive(sender.frames[0]), utf8("first"), "seq 0 still");
});
