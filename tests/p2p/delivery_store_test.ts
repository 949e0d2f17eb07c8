import assert from "node:assert/strict";
import { openDatabase } from "../../core/store/mod.ts";
import { EventBus } from "../../core/events.ts";
import { isMeteorError } from "../../core/errors.ts";
import { decodeRecord, encodeRecord } from "../../plugins/p2p/_records.ts";
import { InboxWriter } from "../../plugins/p2p/inbox.ts";
import { messageStore, P2P_MIGRATIONS } from "../../plugins/p2p/store/mod.ts";
import { GroupCommit } from "../../plugins/p2p/store/_group_commit.ts";
import { sessionPair, testNode } from "./_fixtures.ts";

const BOB = new Uint8Array(32).fill(2);

function store(clock: { t: number }) {
  const db = openDatabase(":memory:", { migrations: P2P_MIGRATIONS });
  let n = 0;
  return messageStore(db, { now: () => clock.t++, newId: () => `m${++n}` });
}

Deno.test("GroupCommit commits what is added in one turn together and fails the batch together", async () => {
  const batches: number[][] = [];
  const group = new GroupCommit((xs: number[]) => {
    batches.push(xs);
    if (xs.includes(-1)) throw new RangeError("refused");
    return xs.map((x) => x * 10);
  });
  assert.deepEqual(await Promise.all([group.add(1), group.add(2), group.add(3)]), [10, 20, 30]);
  assert.deepEqual(await group.add(4), 40);
  const refused = [group.add(5), group.add(-1)];
  for (const p of refused) await assert.rejects(p, RangeError);
  assert.deepEqual(batches, [[1, 2, 3], [4], [5, -1]]);
  // addAll() joins the same turn's commit and gets its own results back, in order.
  const [one, many, none] = await Promise.all([
    group.add(6),
    group.addAll([7, 8, 9]),
    group.addAll([]),
  ]);
  assert.deepEqual([one, many, none], [60, [70, 80, 90], []]);
  assert.deepEqual(batches.at(-1), [6, 7, 8, 9]);
});

Deno.test("Outbox.write() queues, records attempts and marks delivered in one transaction, or nothing", () => {
  const clock = { t: 1000 };
  const s = store(clock);
  try {
    const body = new Uint8Array([1]);
    const [m1] = s.outbox.enqueueAll([{ to: BOB, kind: "text", body }]);
    const written = s.outbox.write({
      enqueue: [{ to: BOB, kind: "text", body }, { to: BOB, kind: "text", body }],
      attempts: [m1.id, "m2", "nope"],
      delivered: [{ id: m1.id, to: BOB }, { id: "m3", to: new Uint8Array(32) }],
    });
    assert.deepEqual(written.queued.map((m) => m.id), ["m2", "m3"]);
    assert.equal(written.attempted, 2, "m1 and m2, just queued in the same transaction");
    assert.deepEqual(written.delivered.map((m) => [m.id, m.attempts]), [["m1", 1]]);
    assert.deepEqual(s.outbox.pending().map((m) => [m.id, m.attempts]), [["m2", 1], ["m3", 0]]);
    // One refused change refuses them all.
    assert.throws(
      () =>
        s.outbox.write({
          enqueue: [{ to: BOB, kind: "text", body }],
          delivered: [{ id: "bad id" }],
        }),
      (err) => isMeteorError(err, "E_MALFORMED"),
    );
    assert.deepEqual(s.outbox.list().map((m) => m.id), ["m3", "m2", "m1"]);
  } finally {
    s.db.close();
  }
});

Deno.test("Outbox lists newest first, finds pending after a seqno and prunes only delivered rows", () => {
  const clock = { t: 1000 };
  const s = store(clock);
  try {
    const queued = s.outbox.enqueueAll(
      Array.from(
        { length: 5 },
        () => ({ to: BOB, kind: "text" as const, body: new Uint8Array([1]) }),
      ),
    );
    assert.deepEqual(queued.map((m) => m.seqno), [1, 2, 3, 4, 5]);
    assert.deepEqual(s.outbox.list(2).map((m) => m.id), ["m5", "m4"]);
    assert.deepEqual(s.outbox.pendingAfter(BOB, 3).map((m) => m.id), ["m4", "m5"]);
    assert.deepEqual(s.outbox.recipients(), [BOB]);
    assert.equal(s.outbox.recordAttempts(["m1", "m2", "nope"]), 2);
    // An ack from someone who is not the recipient marks nothing.
    assert.deepEqual(s.outbox.markAllDelivered([{ id: "m1", to: new Uint8Array(32) }]), []);
    const marked = s.outbox.markAllDelivered([{ id: "m1", to: BOB }, { id: "m2" }, { id: "m9" }]);
    assert.deepEqual(marked.map((m) => [m.id, m.attempts]), [["m1", 1], ["m2", 1]]);
    s.outbox.markAllDelivered([{ id: "m3" }, { id: "m4" }]);
    // Count: keep the newest delivered one (m4); m5 is pending and stays whatever the limits.
    assert.equal(s.outbox.pruneDeliveredBeyond(1), 3);
    assert.deepEqual(s.outbox.list().map((m) => m.id), ["m5", "m4"]);
    assert.equal(s.outbox.pruneDeliveredBeyond(1), 0);
    // Time: m4 was delivered before the clock's present.
    assert.equal(s.outbox.pruneDelivered(clock.t), 1);
    assert.deepEqual(s.outbox.list().map((m) => m.id), ["m5"]);
    assert.equal(s.outbox.pruneDeliveredBeyond(0), 0);
  } finally {
    s.db.close();
  }
});

Deno.test("InboxWriter stores a repeated message once and acknowledges every copy after its commit", async () => {
  const clock = { t: 1000 };
  const s = store(clock);
  const pair = await sessionPair(await testNode(71), await testNode(72));
  try {
    const events = new EventBus();
    const seen: string[] = [];
    events.on("message", (detail) => seen.push(detail.id));
    const added: number[] = [];
    const writer = new InboxWriter({
      inbox: s.inbox,
      counters: { add: (delta) => added.push(delta.messagesIn ?? 0) },
      events,
      counts: { messagesIn: 0 },
      debug: (what, err) => assert.fail(`${what}: ${err}`),
    });
    const acks = async () => {
      await waitUntil(() => pair.toInitiator.length > 0);
      const records = [];
      for (const frame of pair.toInitiator.splice(0)) {
        records.push(decodeRecord((await pair.initiator.receive(frame))!));
      }
      return records;
    };
    const deliver = async (id: string) => {
      const record = { type: "message" as const, id, sentAt: 5, text: `text of ${id}` };
      pair.initiator.send(encodeRecord(record));
      const data = await pair.responder.receive(pair.toResponder.shift()!);
      writer.receive(pair.responder, decodeRecord(data!) as typeof record);
      assert.equal(pair.toInitiator.length, 0, "no ack before the commit");
    };
    // Three copies in one turn: one commit, one ack of the id.
    for (let copy = 0; copy < 3; copy++) await deliver("x-1");
    assert.deepEqual(await acks(), [{ type: "ack", id: "x-1" }]);
    // A fourth copy in a later turn is acknowledged again.
    await deliver("x-1");
    assert.deepEqual(await acks(), [{ type: "ack", id: "x-1" }]);
    assert.equal(s.inbox.count(), 1);
    assert.deepEqual(seen, ["x-1"]);
    assert.deepEqual(added, [1], "one new message");
    // Several messages in one turn: one commit, one acks record naming each, in order.
    for (const id of ["y-1", "y-2", "x-1", "y-3"]) await deliver(id);
    assert.deepEqual(await acks(), [{ type: "acks", ids: ["y-1", "y-2", "x-1", "y-3"] }]);
    assert.deepEqual(seen, ["x-1", "y-1", "y-2", "y-3"]);
    assert.deepEqual(added, [1, 3], "one commit per turn, counting the new messages");
  } finally {
    s.db.close();
  }
});

/** Resolves once `check` holds, polling each turn; fails after 5 s. */
async function waitUntil(check: () => boolean): Promise<void> {
  const signal = AbortSignal.timeout(5000);
  while (!check()) {
    if (signal.aborted) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
