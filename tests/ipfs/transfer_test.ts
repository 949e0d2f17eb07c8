import assert from "node:assert/strict";
import { startDaemon, type TestDaemon, waitFor } from "../p2p/_daemon.ts";
import { content, get, ipfsSpec, put } from "./_ipfs.ts";

async function befriend(a: TestDaemon, b: TestDaemon, name: string): Promise<void> {
  const doc = (await (await b.api("/v1/id")).json()).document;
  const res = await a.api("/v1/contacts", { method: "POST", json: { name, id: doc } });
  assert.equal(res.status, 201, await res.clone().text());
}

Deno.test({
  name:
    "two daemons: bitswap fetch of a multi-chunk file; a non-recipient gets the blocks but cannot decrypt",
  fn: async () => {
    const sa = await ipfsSpec(61);
    const sb = await ipfsSpec(62);
    const a = await startDaemon(sa);
    const b = await startDaemon(sb);
    try {
      await befriend(a, b, "bob");
      await a.p2p.dial(b.p2p.addresses()[0]);
      const bytes = content(700 * 1024, 7);
      const plain = await put(a, bytes, "?plain=true");
      assert.deepEqual((await get(b, plain.body.cid as string, "?plain=true")).bytes, bytes);
      // Encrypted to a alone: b fetches every block, but holds no matching key.
      const mine = await put(a, bytes);
      const refused = await get(b, mine.body.cid as string);
      assert.equal(refused.status, 422);
      assert.equal(refused.error?.code, "E_NO_MATCHING_IDENTITY");
      // Encrypted to b (a contact of a): b decrypts.
      const forBob = await put(a, bytes, "?to=bob");
      assert.deepEqual((await get(b, forBob.body.cid as string)).bytes, bytes);
      assert.deepEqual((await get(a, forBob.body.cid as string)).bytes, bytes, "and a too");
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(sa.home, { recursive: true });
      await Deno.remove(sb.home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "send-file: offered over the session, fetched by bitswap, decrypted and saved; resumes after the receiver restarts",
  fn: async () => {
    const sa = await ipfsSpec(63);
    const sb = await ipfsSpec(64);
    const a = await startDaemon(sa);
    let b = await startDaemon(sb);
    try {
      await befriend(a, b, "bob");
      await befriend(b, a, "alice");
      const bytes = content(600 * 1024, 9);
      const added = await put(a, bytes, "?to=bob");
      // The receiver is down when the file is sent: the outbox keeps it.
      await b.stop();
      const sent = await a.api(`/v1/files/${added.body.cid}/send`, {
        method: "POST",
        json: { to: "bob", name: "../report.bin" },
      });
      assert.equal(sent.status, 202, await sent.clone().text());
      const { id } = await sent.json();
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await (await a.api(`/v1/files/sent/${id}`)).json()).delivered, false);
      b = await startDaemon(sb);
      const file = await waitFor("the saved file", async () => {
        const files = (await (await b.api("/v1/files")).json()).files;
        return files.find((f: { state: string }) => f.state === "saved");
      }, 30_000);
      assert.equal(file.name, "report.bin", "only the last path part of the name");
      assert.equal(file.size, bytes.length);
      assert.equal(file.from, a.id);
      assert.deepEqual(await Deno.readFile(file.path), bytes);
      await waitFor(
        "the delivery ack",
        async () => (await (await a.api(`/v1/files/sent/${id}`)).json()).delivered,
        30_000,
      );
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(sa.home, { recursive: true });
      await Deno.remove(sb.home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "send-file: a transfer cut by a restart of the sender resumes and completes (offer durable, fetch retried)",
  fn: async () => {
    const sa = await ipfsSpec(65);
    const sb = await ipfsSpec(66);
    let a = await startDaemon(sa);
    const b = await startDaemon(sb);
    try {
      await befriend(a, b, "bob");
      await befriend(b, a, "alice");
      // Large enough that its fetch is still going on when the sender stops (25 ms later).
      const bytes = content(24 * 1024 * 1024 + 5, 11);
      const added = await put(a, bytes, "?to=bob");
      const sent = await a.api(`/v1/files/${added.body.cid}/send`, {
        method: "POST",
        json: { to: "bob", name: "data.bin" },
      });
      assert.equal(sent.status, 202, await sent.clone().text());
      const { id } = await sent.json();
      // The sender goes down once the receiver has the offer, before it saved the file.
      await waitFor("the offer at the receiver", async () => {
        const files = (await (await b.api("/v1/files")).json()).files;
        return files.length === 1;
      }, 30_000);
      await a.stop();
      const during = (await (await b.api("/v1/files")).json()).files[0];
      assert.equal(during.state, "pending", "cut before the receiver saved it");
      // The receiver's fetch runs dry (fetchTimeoutMs 3 s): a transient failure, retried.
      await waitFor("a failed fetch at the receiver", async () => {
        const stats = await (await b.api("/v1/stats")).json();
        return stats.plugins.ipfs.stats.fetchFailures >= 1;
      }, 30_000);
      assert.equal((await (await b.api("/v1/files")).json()).files[0].state, "pending");
      a = await startDaemon(sa);
      const file = await waitFor("the saved file", async () => {
        const files = (await (await b.api("/v1/files")).json()).files;
        return files.find((f: { state: string }) => f.state === "saved");
      }, 60_000);
      assert.equal(file.name, "data.bin");
      assert.deepEqual(await Deno.readFile(file.path), bytes);
      await waitFor(
        "the delivery ack at the restarted sender",
        async () => (await (await a.api(`/v1/files/sent/${id}`)).json()).delivered,
        60_000,
      );
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(sa.home, { recursive: true });
      await Deno.remove(sb.home, { recursive: true });
    }
  },
});
