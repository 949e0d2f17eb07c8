import assert from "node:assert/strict";
import { createDocument, formatDocument } from "../../core/identity/mod.ts";
import { documentVerifier } from "../../plugins/p2p/session/mod.ts";
import {
  daemonSpec,
  p2pNodeOf,
  startDaemon,
  TEST_TOKEN,
  type TestDaemon,
  waitFor,
} from "./_daemon.ts";

interface InboxView {
  messages: { id: string; from: string; contact: string | null; text: string }[];
}

async function inbox(daemon: TestDaemon): Promise<InboxView["messages"]> {
  const res = await daemon.api("/v1/inbox");
  assert.equal(res.status, 200);
  return ((await res.json()) as InboxView).messages;
}

async function outbox(daemon: TestDaemon) {
  const res = await daemon.api("/v1/outbox");
  assert.equal(res.status, 200);
  return (await res.json()).messages as {
    id: string;
    deliveredAt: number | null;
    waiting: { code: string; message: string } | null;
  }[];
}

async function send(daemon: TestDaemon, to: string, text: string): Promise<string> {
  const res = await daemon.api("/v1/messages", { method: "POST", json: { to, text } });
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()).id;
}

/** Adds `other` to `daemon`'s contacts: by its document (with addresses) or by MeteorID alone. */
async function addContact(daemon: TestDaemon, name: string, other: TestDaemon, byDoc: boolean) {
  const id = byDoc
    ? formatDocument(await createDocument(other.keys, { addresses: other.p2p.addresses() }))
    : other.id;
  const res = await daemon.api("/v1/contacts", { method: "POST", json: { name, id } });
  assert.equal(res.status, 201, await res.clone().text());
}

async function delivered(daemon: TestDaemon, id: string): Promise<void> {
  await waitFor(`delivery of ${id}`, async () => {
    const entry = (await outbox(daemon)).find((m) => m.id === id);
    return entry?.deliveredAt != null;
  });
}

async function received(daemon: TestDaemon, text: string) {
  return await waitFor(`"${text}" in the inbox`, async () => {
    return (await inbox(daemon)).find((m) => m.text === text);
  });
}

async function cleanup(daemons: TestDaemon[], homes: string[]) {
  for (const d of daemons) await d.stop().catch(() => {});
  for (const home of homes) await Deno.remove(home, { recursive: true }).catch(() => {});
}

Deno.test({
  name: "p2p plugin exchanges messages both ways; a contact added by MeteorID gets its document",
  fn: async () => {
    const [sa, sb] = [await daemonSpec(11), await daemonSpec(12)];
    const a = await startDaemon(sa);
    const b = await startDaemon(sb);
    try {
      await addContact(a, "bob", b, true);
      await addContact(b, "alice", a, false); // MeteorID only
      const events: unknown[] = [];
      b.node.events.on("message", (detail) => events.push(detail));
      const acks: unknown[] = [];
      a.node.events.on("p2p:delivered", (detail) => acks.push(detail));
      const id1 = await send(a, "bob", "hello bob");
      const got = await received(b, "hello bob");
      assert.equal(got.from, a.id);
      assert.equal(got.contact, "alice");
      assert.equal(got.id, id1);
      await delivered(a, id1);
      // The bus (and so the API's WebSocket) saw the message and the acknowledgement.
      assert.equal(events.length, 1);
      assert.deepEqual(
        { ...(events[0] as Record<string, unknown>), receivedAt: 0, seq: 0 },
        { id: id1, from: a.id, text: "hello bob", receivedAt: 0, seq: 0 },
      );
      assert.deepEqual(acks, [{ id: id1, to: b.id }]);
      // Bob's node learned Alice's document over /meteor/id when she connected.
      await waitFor("alice's document", async () => {
        const res = await b.api("/v1/contacts/alice");
        return (await res.json()).hasDocument === true;
      });
      const id2 = await send(b, "alice", "hi alice, ünïcødé ✓");
      assert.equal((await received(a, "hi alice, ünïcødé ✓")).from, b.id);
      await delivered(b, id2);
      const peers = (await (await a.api("/v1/peers")).json()).peers;
      assert.equal(peers.length, 1);
      assert.equal(peers[0].meteorId, b.id);
      assert.equal(peers[0].contact, "bob");
      const stats = p2pNodeOf(a).stats();
      assert.equal(stats.messagesOut, 1);
      assert.equal(stats.messagesIn, 1);
      assert.equal((await inbox(b)).length, 1, "stored exactly once");
      // An all-upper-case MeteorID (as a QR code carries it) names the same peer.
      await send(a, b.id.toUpperCase(), "by upper-case id");
      assert.equal((await received(b, "by upper-case id")).from, a.id);
    } finally {
      await cleanup([a, b], [sa.home, sb.home]);
    }
  },
});

Deno.test({
  name: "POST /v1/messages with a batch queues all in order, delivers each once, acked in runs",
  fn: async () => {
    const [sa, sb] = [await daemonSpec(13), await daemonSpec(14)];
    const a = await startDaemon(sa);
    const b = await startDaemon(sb);
    try {
      await addContact(a, "bob", b, true);
      const texts = Array.from({ length: 500 }, (_, i) => `batch ${i}`);
      const res = await a.api("/v1/messages", {
        method: "POST",
        json: texts.map((text, i) => ({ to: i % 2 === 0 ? "bob" : b.id, text })),
      });
      assert.equal(res.status, 202, await res.clone().text());
      const queued = (await res.json()) as { id: string; to: string; status: string }[];
      assert.equal(queued.length, texts.length);
      assert.ok(queued.every((q) => q.to === b.id && q.status === "queued"));
      // Newest first in the outbox: the batch's order is the outbox's order.
      const listed = (await (await a.api("/v1/outbox?limit=1000")).json()).messages;
      assert.deepEqual(listed.map((m: { id: string }) => m.id).reverse(), queued.map((q) => q.id));
      await waitFor("every message acknowledged", async () => {
        return (await outbox(a)).every((m) => m.deliveredAt !== null) &&
          p2pNodeOf(a).stats().messagesOut === texts.length;
      });
      const res2 = await b.api("/v1/inbox?limit=1000");
      const stored = (await res2.json()).messages as { id: string; text: string }[];
      assert.deepEqual(stored.map((m) => m.text), texts, "each once, in order");
      assert.deepEqual(stored.map((m) => m.id), queued.map((q) => q.id));
      // B acknowledged runs of messages stored in one commit, not each in its own frame.
      const framesOut = p2pNodeOf(b).stats().framesOut;
      assert.ok(framesOut < texts.length / 2, `${framesOut} frames from B for ${texts.length}`);
    } finally {
      await cleanup([a, b], [sa.home, sb.home]);
    }
  },
});

Deno.test({
  name: "p2p plugin: contacts known by ID only say why mail waits, and get it once one side dials",
  fn: async () => {
    // No retries during the test: what is delivered goes out when the peer connects.
    const [sa, sb] = [await daemonSpec(13), await daemonSpec(14)];
    sa.retryMs = sb.retryMs = 60_000;
    const a = await startDaemon(sa);
    const b = await startDaemon(sb);
    try {
      await addContact(a, "bob", b, false);
      const toBob = await send(a, "bob", "queued for bob");
      const waiting = await waitFor("the waiting reason", async () => {
        return (await outbox(a)).find((m) => m.id === toBob)?.waiting ?? undefined;
      });
      assert.equal(waiting.code, "E_NO_ADDRESS");
      assert.match(waiting.message, /^no known address for "bob" \(meteor1.*\): add its identity/);
      // Bob adds Alice by the document GET /v1/id serves (it carries her addresses) and writes.
      const { document } = await (await a.api("/v1/id")).json();
      const res = await b.api("/v1/contacts", {
        method: "POST",
        json: { name: "alice", id: document },
      });
      assert.equal(res.status, 201);
      const toAlice = await send(b, "alice", "hello alice");
      assert.equal((await received(a, "hello alice")).contact, "bob");
      // Bob's connection told Alice where Bob is: her queued message goes out at once.
      assert.equal((await received(b, "queued for bob")).contact, "alice");
      await delivered(a, toBob);
      await delivered(b, toAlice);
      assert.equal((await outbox(a)).find((m) => m.id === toBob)?.waiting, null);
      const stored = a.node.store.contacts.get("bob")?.document;
      assert.ok(stored, "bob's document was fetched on connect");
      const learned = await documentVerifier()(stored);
      assert.deepEqual(learned.addresses, b.p2p.addresses());
    } finally {
      await cleanup([a, b], [sa.home, sb.home]);
    }
  },
});

Deno.test({
  name: "p2p plugin delivers the outbox after the receiver and then the sender restart",
  fn: async () => {
    const [sa, sb] = [await daemonSpec(21), await daemonSpec(22)];
    let a = await startDaemon(sa);
    let b = await startDaemon(sb);
    try {
      await addContact(a, "bob", b, true);
      await addContact(b, "alice", a, true);
      await delivered(a, await send(a, "bob", "before"));
      await b.stop();
      const queued = await send(a, "bob", "while bob was down");
      const failures = p2pNodeOf(a).stats().deliveryFailures;
      await waitFor(
        "two failed retries",
        () => p2pNodeOf(a).stats().deliveryFailures >= failures + 2,
      );
      const entry = (await outbox(a)).find((m) => m.id === queued);
      assert.equal(entry?.deliveredAt, null);
      b = await startDaemon(sb);
      await received(b, "while bob was down");
      await delivered(a, queued);
      // Now the sender goes down with a message queued, and Bob too; both come back.
      await b.stop();
      const late = await send(a, "bob", "queued across both restarts");
      await a.stop();
      a = await startDaemon(sa);
      b = await startDaemon(sb);
      await received(b, "queued across both restarts");
      await delivered(a, late);
      const texts = (await inbox(b)).map((m) => m.text);
      assert.deepEqual(texts, ["before", "while bob was down", "queued across both restarts"]);
    } finally {
      await cleanup([a, b], [sa.home, sb.home]);
    }
  },
});

Deno.test({
  name: "p2p plugin connects three daemons through a bootstrap peer",
  fn: async () => {
    const specs = [await daemonSpec(31), await daemonSpec(32), await daemonSpec(33)];
    const hub = await startDaemon(specs[0]);
    const hubAddr = hub.p2p.addresses()[0];
    specs[1].bootstrap = [hubAddr];
    specs[2].bootstrap = [hubAddr];
    const x = await startDaemon(specs[1]);
    const y = await startDaemon(specs[2]);
    try {
      // x and y know each other only by MeteorID; x and y find the hub by bootstrap.
      await addContact(x, "y", y, true);
      await addContact(y, "x", x, true);
      await addContact(x, "hub", hub, false);
      await addContact(y, "hub", hub, false);
      const ids = [
        [x, await send(x, "hub", "x to hub")],
        [y, await send(y, "hub", "y to hub")],
        [x, await send(x, "y", "x to y")],
        [y, await send(y, "x", "y to x")],
      ] as const;
      await received(hub, "x to hub");
      await received(hub, "y to hub");
      await received(y, "x to y");
      await received(x, "y to x");
      for (const [daemon, id] of ids) await delivered(daemon, id);
      assert.equal((await inbox(hub)).length, 2);
    } finally {
      await cleanup([hub, x, y], specs.map((s) => s.home));
    }
  },
});

Deno.test({
  name: "p2p API refuses requests without the token or from a foreign Origin",
  fn: async () => {
    const spec = await daemonSpec(41);
    const d = await startDaemon(spec);
    try {
      const body = JSON.stringify({ to: d.id, text: "x" });
      const noToken = await d.request("/v1/messages", { method: "POST", body });
      assert.equal(noToken.status, 401);
      assert.equal((await noToken.json()).error.code, "E_UNAUTHORIZED");
      const foreign = await d.request("/v1/messages", {
        method: "POST",
        body,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          origin: "http://evil.example",
          "content-type": "application/json",
        },
      });
      assert.equal(foreign.status, 403);
      assert.equal((await foreign.json()).error.code, "E_FORBIDDEN");
      const bad = await d.api("/v1/messages", {
        method: "POST",
        json: { to: "nobody", text: "x" },
      });
      assert.equal(bad.status, 404);
      const extra = await d.api("/v1/messages", {
        method: "POST",
        json: { to: d.id, text: "x", more: 1 },
      });
      assert.equal(extra.status, 400);
      const refused: [unknown, number, string][] = [
        [{ to: d.id, text: "" }, 400, "E_MALFORMED"],
        [{ to: d.id, text: "to myself" }, 400, "E_BAD_ID"],
      ];
      for (const [json, status, code] of refused) {
        const res = await d.api("/v1/messages", { method: "POST", json });
        assert.deepEqual([res.status, (await res.json()).error.code], [status, code]);
      }
      const long = await d.api("/v1/messages", {
        method: "POST",
        json: { to: d.id, text: "x".repeat(16 * 1024 + 1) },
      });
      assert.equal(long.status, 413);
      assert.equal((await (await d.api("/v1/outbox")).json()).messages.length, 0);
    } finally {
      await cleanup([d], [spec.home]);
    }
  },
});
