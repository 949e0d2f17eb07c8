import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { isMeteorError } from "../../core/errors.ts";
import { MAX_MESSAGE_BYTES, openDatabase, openStore } from "../../core/store/mod.ts";
import { pluginComponents } from "../../core/components.ts";
import {
  type MessageStore,
  messageStore,
  openMessageStore,
  P2P_MIGRATIONS,
} from "../../plugins/p2p/store/mod.ts";
import { testKeys } from "../node/_helpers.ts";

const ALICE = new Uint8Array(32).fill(1);
const BOB = new Uint8Array(32).fill(2);
const text = (s: string) => new TextEncoder().encode(s);

function code(expected: string) {
  return (err: unknown) => {
    assert.ok(isMeteorError(err), `expected MeteorError, got ${err}`);
    assert.equal(err.code, expected, err.message);
    return true;
  };
}

/** The p2p tables in memory, with a clock that advances 1 ms per call and sequential ids. */
function memoryStore(): MessageStore & { close(): void } {
  let t = 1000;
  let n = 0;
  const db = openDatabase(":memory:", { migrations: P2P_MIGRATIONS });
  return Object.assign(messageStore(db, { now: () => t++, newId: () => `m${++n}` }), {
    close: () => db.close(),
  });
}

Deno.test("Inbox.add() stores a message once per (sender, id) and lists oldest first", () => {
  const store = memoryStore();
  try {
    const first = store.inbox.add({
      id: "m1",
      from: ALICE,
      kind: "text",
      body: text("hi"),
      seq: 0,
    });
    assert.equal(first.added, true);
    assert.deepEqual(first.message, {
      id: "m1",
      from: ALICE,
      kind: "text",
      body: text("hi"),
      receivedAt: 1000,
      seq: 0,
    });
    const again = store.inbox.add({
      id: "m1",
      from: ALICE,
      kind: "text",
      body: text("changed"),
      seq: 5,
    });
    assert.equal(again.added, false);
    assert.deepEqual(again.message.body, text("hi"));
    assert.equal(
      store.inbox.add({ id: "m1", from: BOB, kind: "bytes", body: new Uint8Array(0), seq: 1 })
        .added,
      true,
    );
    store.inbox.add({
      id: "m2",
      from: ALICE,
      kind: "bytes",
      body: new Uint8Array(MAX_MESSAGE_BYTES),
      seq: 2,
    });
    assert.equal(store.inbox.count(), 3);
    assert.deepEqual(store.inbox.list().map((m) => `${m.from[0]}:${m.id}`), [
      "1:m1",
      "2:m1",
      "1:m2",
    ]);
    assert.deepEqual(store.inbox.list({ from: ALICE }).map((m) => m.id), ["m1", "m2"]);
    assert.deepEqual(store.inbox.list({ limit: 1 }).map((m) => m.id), ["m1"]);
    assert.deepEqual(store.inbox.list({ since: 1003 }).map((m) => m.id), ["m2"]);
    store.inbox.remove(ALICE, "m1");
    assert.equal(store.inbox.count(), 2);
  } finally {
    store.close();
  }
});

Deno.test("Inbox refuses malformed messages with their codes", () => {
  const store = memoryStore();
  const ok = { id: "m1", from: ALICE, kind: "text" as const, body: text("hi"), seq: 0 };
  try {
    const cases: [() => unknown, string][] = [
      [() => store.inbox.add({ ...ok, id: "" }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, id: "a".repeat(65) }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, id: "a/b" }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, from: new Uint8Array(0) }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, kind: "html" as never }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, body: new Uint8Array([0xff, 0xfe]) }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, body: "hi" as never }), "E_MALFORMED"],
      [
        () =>
          store.inbox.add({ ...ok, kind: "bytes", body: new Uint8Array(MAX_MESSAGE_BYTES + 1) }),
        "E_TOO_LARGE",
      ],
      [() => store.inbox.add({ ...ok, seq: -1 }), "E_MALFORMED"],
      [() => store.inbox.add({ ...ok, seq: 1.5 }), "E_MALFORMED"],
      [() => store.inbox.list({ limit: 0 }), "E_MALFORMED"],
      [() => store.inbox.list({ limit: 1001 }), "E_MALFORMED"],
      [() => store.inbox.list({ since: -1 }), "E_MALFORMED"],
      [() => store.inbox.remove(ALICE, "m1"), "E_NOT_FOUND"],
    ];
    for (const [call, expected] of cases) assert.throws(call, code(expected));
    assert.equal(store.inbox.add({ ...ok, id: "a".repeat(64) }).added, true);
    assert.equal(store.inbox.list({ limit: 1000 }).length, 1);
  } finally {
    store.close();
  }
});

Deno.test("Outbox keeps a message pending until markDelivered()", () => {
  const store = memoryStore();
  try {
    const m1 = store.outbox.enqueue({ to: BOB, kind: "text", body: text("one") });
    const m2 = store.outbox.enqueue({ to: ALICE, kind: "text", body: text("two") });
    store.outbox.enqueue({ to: BOB, kind: "bytes", body: new Uint8Array([1]) });
    assert.deepEqual(m1, {
      seqno: 1,
      id: "m1",
      to: BOB,
      kind: "text",
      body: text("one"),
      createdAt: 1000,
      attempts: 0,
      lastAttemptAt: null,
      deliveredAt: null,
    });
    assert.deepEqual(store.outbox.pending().map((m) => m.id), ["m1", "m2", "m3"]);
    assert.deepEqual(store.outbox.pending(BOB).map((m) => m.id), ["m1", "m3"]);
    assert.deepEqual(store.outbox.pending(BOB, 1).map((m) => m.id), ["m1"]);
    store.outbox.recordAttempt(m1.id);
    store.outbox.recordAttempt(m1.id);
    assert.equal(store.outbox.get(m1.id)?.attempts, 2);
    assert.equal(store.outbox.get(m1.id)?.deliveredAt, null);
    assert.equal(store.outbox.markDelivered(m1.id), true);
    assert.equal(store.outbox.markDelivered(m1.id), false);
    assert.deepEqual(store.outbox.pending(BOB).map((m) => m.id), ["m3"]);
    assert.ok(store.outbox.get(m1.id)!.deliveredAt! > 0);
    store.outbox.remove(m2.id);
    assert.deepEqual(store.outbox.list().map((m) => m.id), ["m3", "m1"]);
    assert.equal(store.outbox.pruneDelivered(0), 0);
    assert.equal(store.outbox.pruneDelivered(Number.MAX_SAFE_INTEGER), 1);
    assert.deepEqual(store.outbox.list().map((m) => m.id), ["m3"]);
  } finally {
    store.close();
  }
});

Deno.test("Outbox refuses malformed input and unknown ids with their codes", () => {
  const store = memoryStore();
  try {
    const cases: [() => unknown, string][] = [
      [
        () => store.outbox.enqueue({ to: new Uint8Array(31), kind: "text", body: text("x") }),
        "E_MALFORMED",
      ],
      [
        () => store.outbox.enqueue({ to: BOB, kind: "text", body: new Uint8Array([0xc3]) }),
        "E_MALFORMED",
      ],
      [
        () =>
          store.outbox.enqueue({
            to: BOB,
            kind: "bytes",
            body: new Uint8Array(MAX_MESSAGE_BYTES + 1),
          }),
        "E_TOO_LARGE",
      ],
      [() => store.outbox.markDelivered("nope"), "E_NOT_FOUND"],
      [() => store.outbox.recordAttempt("nope"), "E_NOT_FOUND"],
      [() => store.outbox.remove("nope"), "E_NOT_FOUND"],
      [() => store.outbox.markDelivered("no such/id"), "E_MALFORMED"],
      [() => store.outbox.pending(undefined, 0), "E_MALFORMED"],
      [() => store.outbox.list(1001), "E_MALFORMED"],
      [() => store.outbox.pruneDelivered(-1), "E_MALFORMED"],
    ];
    for (const [call, expected] of cases) assert.throws(call, code(expected));
    assert.equal(store.outbox.list().length, 0);
    assert.equal(
      store.outbox.enqueue({ to: BOB, kind: "bytes", body: new Uint8Array(MAX_MESSAGE_BYTES) }).body
        .length,
      MAX_MESSAGE_BYTES,
    );
  } finally {
    store.close();
  }
});

Deno.test("openMessageStore() adopts the inbox and outbox a home of the previous version kept in state.db", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A state.db as Meteor 0.1 left it: schema version 1 holds the inbox and outbox.
    const state = openStore(`${dir}/state.db`);
    state.close();
    const raw = new DatabaseSync(`${dir}/state.db`);
    raw.exec(`INSERT INTO inbox (id, sender, kind, body, received_at, session_seq)
      VALUES ('i1', x'${"02".repeat(32)}', 'text', x'6869', 5, 0)`);
    raw.exec(`INSERT INTO outbox (id, recipient, kind, body, created_at)
      VALUES ('o1', x'${"02".repeat(32)}', 'text', x'796f', 6)`);
    raw.close();
    await Deno.mkdir(`${dir}/plugins/p2p`, { recursive: true });
    const reopen = () => {
      const store = openStore(`${dir}/state.db`);
      const parts = pluginComponents(
        { keys: undefined as never, store },
        { name: "p2p", uses: ["database"], labels: [] },
        `${dir}/plugins/p2p`,
      );
      return { store, parts, messages: openMessageStore(parts.components.database!) };
    };
    const first = reopen();
    try {
      assert.deepEqual(first.messages.inbox.list().map((m) => [m.id, m.receivedAt]), [["i1", 5]]);
      assert.deepEqual(first.messages.outbox.pending(BOB).map((m) => m.id), ["o1"]);
    } finally {
      first.parts.close();
      first.store.close();
    }
    const legacy = new DatabaseSync(`${dir}/state.db`);
    const tables = legacy.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
      .map((r) => r.name);
    legacy.close();
    assert.ok(!tables.includes("inbox") && !tables.includes("outbox"), String(tables));
    // Opening again adopts nothing twice.
    const second = reopen();
    try {
      assert.equal(second.messages.inbox.count(), 1);
      assert.equal(second.messages.outbox.pending().length, 1);
    } finally {
      second.parts.close();
      second.store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a plugin may adopt only the legacy tables that are its own", async () => {
  const store = openStore(":memory:");
  try {
    const parts = pluginComponents(
      { keys: await testKeys(), store },
      { name: "echo", uses: ["database"], labels: [] },
      "/nowhere",
    );
    assert.throws(
      () => parts.components.database!.open({ migrations: P2P_MIGRATIONS, adopt: ["inbox"] }),
      code("E_PLUGIN"),
    );
  } finally {
    store.close();
  }
});
