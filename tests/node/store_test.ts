import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { isMeteorError } from "../../core/errors.ts";
import {
  MAX_DOCUMENT_BYTES,
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

/** A store with a clock that advances 1 ms per call. */
function memoryStore(): NodeStore {
  let t = 1000;
  return openStore(":memory:", { now: () => t++ });
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
    store.contacts.add({ name: "survivor", meteorId: new Uint8Array(32).fill(2) });
    console.log("added");
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
      assert.equal(out.trim(), "added");
      assert.equal(store.contacts.byId(BOB)?.name, "survivor");
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
