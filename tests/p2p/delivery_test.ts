import assert from "node:assert/strict";
import { createDocument, formatDocument } from "../../core/identity/mod.ts";
import {
  type DaemonSpec,
  daemonSpec,
  p2pNodeOf,
  startDaemon,
  type TestDaemon,
  waitFor,
} from "./_daemon.ts";

interface OutboxEntry {
  id: string;
  deliveredAt: number | null;
  waiting: { code: string } | null;
}

async function json<T>(daemon: TestDaemon, path: string): Promise<T> {
  const res = await daemon.api(path);
  assert.equal(res.status, 200, path);
  return await res.json() as T;
}

const inbox = (d: TestDaemon) =>
  json<{ messages: { id: string; text: string }[] }>(d, "/v1/inbox?limit=1000");
const entry = (d: TestDaemon, id: string) => json<OutboxEntry>(d, `/v1/outbox/${id}`);
const stats = (d: TestDaemon) => p2pNodeOf(d).stats();

async function addContact(daemon: TestDaemon, name: string, other: TestDaemon, byDoc: boolean) {
  const id = byDoc
    ? formatDocument(await createDocument(other.keys, { addresses: other.p2p.addresses() }))
    : other.id;
  const res = await daemon.api("/v1/contacts", { method: "POST", json: { name, id } });
  assert.equal(res.status, 201, await res.clone().text());
}

/** Listens on `port` of 127.0.0.1, accepts connections and never answers: a peer that hangs. */
function tarpit(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const held: Deno.Conn[] = [];
  let peak = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      peak = Math.max(peak, held.length);
    }
  })().catch(() => {});
  return {
    get peak() {
      return peak;
    },
    async close() {
      listener.close();
      for (const conn of held) conn.close();
      await accepting;
    },
  };
}

async function cleanup(daemons: TestDaemon[], specs: DaemonSpec[]) {
  for (const d of daemons) await d.stop().catch(() => {});
  for (const spec of specs) await Deno.remove(spec.home, { recursive: true });
}

Deno.test({
  name: "p2p plugin: one session carries both directions, each message once while unacknowledged",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const specs = [await daemonSpec(81), await daemonSpec(82)];
    // A retry timer that fires many times during the run: none of its rounds may resend.
    specs[0].retryMs = 20;
    const [a, b] = [await startDaemon(specs[0]), await startDaemon(specs[1])];
    try {
      await addContact(a, "b", b, true);
      await addContact(b, "a", a, false); // B has no address for A: it can only answer on A's session
      const first = (await a.p2p.send("b", "a1")).id;
      await waitFor("a1 delivered", async () => (await entry(a, first)).deliveredAt !== null);
      const back = (await b.p2p.send("a", "b1")).id;
      await waitFor("b1 delivered", async () => (await entry(b, back)).deliveredAt !== null);
      const ids = await Promise.all(
        Array.from({ length: 300 }, (_, i) => a.p2p.send("b", `m${i}`)),
      );
      await waitFor("300 delivered", async () => {
        const last = await entry(a, ids.at(-1)!.id);
        return last.deliveredAt !== null && stats(a).messagesOut === 301;
      });
      for (const d of [a, b]) {
        assert.equal(stats(d).sessions, 1, "one session between the two");
        assert.equal(stats(d).handshakes, 1);
      }
      // B received exactly A's 301 messages and 1 ack on that session: nothing was sent twice.
      assert.equal(stats(b).framesIn, 302);
      assert.equal(stats(b).messagesIn, 301);
      assert.equal((await inbox(b)).messages.length, 301);
      assert.equal((await inbox(a)).messages[0].text, "b1");
    } finally {
      await cleanup([a, b], specs);
    }
  },
});

Deno.test({
  name: "p2p plugin: a hanging contact with 1,000 queued messages does not delay another recipient",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const specs = [await daemonSpec(83), await daemonSpec(84), await daemonSpec(85)];
    specs[0].p2pConfig = { retryMaxMs: 500 };
    let [a, b, c] = [
      await startDaemon(specs[0]),
      await startDaemon(specs[1]),
      await startDaemon(specs[2]),
    ];
    let pit: ReturnType<typeof tarpit> | undefined;
    try {
      await addContact(a, "b", b, true);
      await addContact(a, "c", c, true);
      await addContact(b, "a", a, false); // B cannot dial A: only A's retries reach it
      await b.stop();
      await c.stop();
      pit = tarpit(specs[2].ports.tcp); // C's address now accepts and never answers
      const toC = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => a.p2p.send("c", `c${i}`)),
      );
      const toB = (await a.p2p.send("b", "for b")).id;
      await waitFor("b waiting", async () => (await entry(a, toB)).waiting !== null);
      b = await startDaemon(specs[1]);
      const got = await waitFor("for b at B", async () => {
        return (await inbox(b)).messages.find((m) => m.text === "for b");
      }, 8_000);
      assert.equal(got.id, toB);
      const c0 = await entry(a, toC[0].id);
      assert.equal(c0.deliveredAt, null);
      await waitFor("the ack from B", async () => (await entry(a, toB)).deliveredAt !== null);
      assert.equal(stats(a).messagesOut, 1);
      assert.ok(pit.peak >= 1, "A tried C");
      assert.ok(pit.peak <= 2, `one flush at a time to C (${pit.peak} connections)`);
    } finally {
      await pit?.close();
      await cleanup([a, b, c], specs);
    }
  },
});

Deno.test({
  name: "p2p plugin prunes delivered outbox rows beyond keepDelivered under a steady load",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const specs = [await daemonSpec(86), await daemonSpec(87)];
    specs[0].p2pConfig = { keepDelivered: 50 };
    const [a, b] = [await startDaemon(specs[0]), await startDaemon(specs[1])];
    try {
      await addContact(a, "b", b, true);
      let peak = 0;
      for (let round = 0; round < 4; round++) {
        const sent = await Promise.all(
          Array.from({ length: 100 }, (_, i) => a.p2p.send("b", `r${round}-${i}`)),
        );
        await waitFor(
          `round ${round}`,
          async () => (await entry(a, sent.at(-1)!.id)).deliveredAt !== null,
        );
        // The retry timer's next round prunes: the table shrinks back to the 50 newest.
        const rows = await waitFor("a pruned outbox", async () => {
          const { messages } = await json<{ messages: OutboxEntry[] }>(a, "/v1/outbox?limit=1000");
          peak = Math.max(peak, messages.length);
          return messages.length <= 50 && messages.every((m) => m.deliveredAt !== null) && messages;
        });
        assert.equal(rows[0].id, sent.at(-1)!.id, "the newest are kept");
      }
      assert.ok(peak <= 150, `bounded (${peak} rows at most)`);
      const gone = await a.api(`/v1/outbox/${"x".repeat(8)}`);
      assert.equal(gone.status, 404);
      assert.equal((await gone.json()).error.code, "E_NOT_FOUND");
    } finally {
      await cleanup([a, b], specs);
    }
  },
});
