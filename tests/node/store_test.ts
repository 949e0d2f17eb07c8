import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { isMeteorError } from "../../core/errors.ts";
import {
  MAX_DOCUMENT_BYTES,
  MAX_MESSAGE_BYTES,
  type NodeStore,
  openStore,
  SCHEMA_VERSION,
} from "../../core/store/mod.ts";

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

/** A store with a clock that advances 1 ms per call and sequential ids. */
function memoryStore(): NodeStore {
  let t = 1000;
  let n = 0;
  return openStore(":memory:", { now: () => t++, newId: () => `m${++n}` });
}

Deno.test("openStore() migrates a new database to the current schema version", () => {
  const store = memoryStore();
  try {
    assert.equal(store.version, SCHEMA_VERSION);
    assert.ok(SCHEMA_VERSION >= 1);
  } finally {
    store.close();
    store.close();
  }
  assert.throws(() => store.contacts.list());
});

Deno.test("Contacts add, get, byId, list, setDocument and remove", () => {
  const store = memoryStore();
  try {
    const alice = store.contacts.add({ name: "alice", meteorId: ALICE });
    assert.deepEqual(alice, { name: "alice", meteorId: ALICE, document: null, addedAt: 1000 });
    store.contacts.add({ name: "Bob Smith", meteorId: BOB, document: text("doc") });
    assert.deepEqual(store.contacts.list().map((c) => c.name), ["Bob Smith", "alice"]);
    assert.equal(store.contacts.byId(BOB)?.name, "Bob Smith");
    assert.equal(store.contacts.get("carol"), undefined);
    store.contacts.setDocument(ALICE, text("alice-doc"));
    assert.deepEqual(store.contacts.get("alice")?.document, text("alice-doc"));
    store.contacts.remove("alice");
    assert.equal(store.contacts.get("alice"), undefined);
    assert.equal(store.contacts.byId(ALICE), undefined);
  } finally {
    store.close();
  }
});

Deno.test("Contacts copies its inputs", () => {
  const store = memoryStore();
  try {
    const id = ALICE.slice();
    store.contacts.add({ name: "alice", meteorId: id });
    id.fill(9);
    assert.deepEqual(store.contacts.get("alice")?.meteorId, ALICE);
  } finally {
    store.close();
  }
});

Deno.test("Contacts refuses malformed, duplicate and missing entries with their codes", () => {
  const store = memoryStore();
  try {
    store.contacts.add({ name: "alice", meteorId: ALICE });
    const cases: [() => unknown, string][] = [
      [() => store.contacts.add({ name: "alice", meteorId: BOB }), "E_EXISTS"],
      [() => store.contacts.add({ name: "alice2", meteorId: ALICE }), "E_EXISTS"],
      [() => store.contacts.add({ name: "", meteorId: BOB }), "E_MALFORMED"],
      [() => store.contacts.add({ name: " lead", meteorId: BOB }), "E_MALFORMED"],
      [() => store.contacts.add({ name: "a\nb", meteorId: BOB }), "E_MALFORMED"],
      [() => store.contacts.add({ name: "x".repeat(65), meteorId: BOB }), "E_MALFORMED"],
      [() => store.contacts.add({ name: "b", meteorId: new Uint8Array(31) }), "E_MALFORMED"],
      [() => store.contacts.add({ name: "b", meteorId: new Uint8Array(33) }), "E_MALFORMED"],
      [() => store.contacts.add({ name: "b", meteorId: "id" as never }), "E_MALFORMED"],
      [
        () =>
          store.contacts.add({
            name: "b",
            meteorId: BOB,
            document: new Uint8Array(MAX_DOCUMENT_BYTES + 1),
          }),
        "E_TOO_LARGE",
      ],
      [() => store.contacts.remove("nobody"), "E_NOT_FOUND"],
      [() => store.contacts.setDocument(BOB, text("d")), "E_NOT_FOUND"],
      [() => store.contacts.get(42 as never), "E_MALFORMED"],
    ];
    for (const [call, expected] of cases) assert.throws(call, code(expected));
    assert.equal(
      store.contacts.add({
        name: "x".repeat(64),
        meteorId: BOB,
        document: new Uint8Array(MAX_DOCUMENT_BYTES),
      }).name,
      "x".repeat(64),
    );
    assert.equal(store.contacts.list().length, 2);
  } finally {
    store.close();
  }
});

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
    assert.deepEqual(store.outbox.list().map((m) => m.id), ["m1", "m3"]);
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

Deno.test("Counters add per plugin and refuse bad input", () => {
  const store = memoryStore();
  try {
    assert.deepEqual(store.counters.get("p2p"), {
      messagesIn: 0,
      messagesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
    });
    store.counters.add("p2p", { messagesIn: 1, bytesIn: 100 });
    store.counters.add("p2p", { messagesIn: 2, messagesOut: 1, bytesOut: 7 });
    store.counters.add("echo", {});
    assert.deepEqual(store.counters.all(), {
      echo: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 },
      p2p: { messagesIn: 3, messagesOut: 1, bytesIn: 100, bytesOut: 7 },
    });
    const cases: [() => unknown, string][] = [
      [() => store.counters.add("P2P", {}), "E_MALFORMED"],
      [() => store.counters.add("p2p", { messagesIn: -1 }), "E_MALFORMED"],
      [() => store.counters.add("p2p", { bytesIn: 0.5 }), "E_MALFORMED"],
      [() => store.counters.add("p2p", { peers: 1 } as never), "E_MALFORMED"],
    ];
    for (const [call, expected] of cases) assert.throws(call, code(expected));
    assert.equal(store.counters.get("p2p").messagesIn, 3);
  } finally {
    store.close();
  }
});

Deno.test("openStore() keeps everything across close and reopen, in WAL mode", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/state.db`;
  try {
    const first = openStore(path);
    first.contacts.add({ name: "bob", meteorId: BOB });
    first.inbox.add({ id: "i1", from: BOB, kind: "text", body: text("hello"), seq: 3 });
    const queued = first.outbox.enqueue({ to: BOB, kind: "text", body: text("later") });
    first.counters.add("p2p", { messagesOut: 1 });
    if (Deno.build.os !== "windows") {
      for (const file of [path, `${path}-wal`]) {
        assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600, file);
      }
    }
    first.close();

    const second = openStore(path);
    try {
      assert.equal(second.contacts.get("bob")?.name, "bob");
      assert.deepEqual(second.inbox.list().map((m) => [m.id, m.seq]), [["i1", 3]]);
      assert.deepEqual(second.outbox.pending(BOB).map((m) => m.id), [queued.id]);
      assert.equal(second.counters.get("p2p").messagesOut, 1);
    } finally {
      second.close();
    }
    const raw = new DatabaseSync(path);
    try {
      assert.deepEqual({ ...raw.prepare("PRAGMA journal_mode").get() }, { journal_mode: "wal" });
    } finally {
      raw.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore() refuses a database from a newer Meteor and an unopenable path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const raw = new DatabaseSync(`${dir}/state.db`);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openStore(`${dir}/state.db`), code("E_IO"));
    assert.throws(() => openStore(`${dir}/missing/dir/state.db`), code("E_IO"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore() keeps a committed write when the process is killed without closing", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/state.db`;
  const storeUrl = new URL("../../core/store/mod.ts", import.meta.url).href;
  const script = `
    import { openStore } from ${JSON.stringify(storeUrl)};
    const store = openStore(${JSON.stringify(path)});
    const m = store.outbox.enqueue({ to: new Uint8Array(32).fill(2), kind: "text", body: new TextEncoder().encode("survive") });
    console.log(m.id);
    await new Promise(() => {});
  `;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    const store = openStore(path);
    try {
      const pending = store.outbox.pending(BOB);
      assert.deepEqual(pending.map((m) => [m.id, new TextDecoder().decode(m.body)]), [[
        out.trim(),
        "survive",
      ]]);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
