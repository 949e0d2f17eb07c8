import assert from "node:assert/strict";
import { createNodeCipher } from "../../core/crypto/node_cipher.ts";
import { createDocument, formatDocument } from "../../core/identity/mod.ts";
import { chooseWebgpu, recordingEngine } from "../crypto/_engines.ts";
import { daemonSpec, p2pNodeOf, startDaemon, type TestDaemon, waitFor } from "./_daemon.ts";

async function addContact(daemon: TestDaemon, name: string, other: TestDaemon) {
  const id = formatDocument(await createDocument(other.keys, { addresses: other.p2p.addresses() }));
  const res = await daemon.api("/v1/contacts", { method: "POST", json: { name, id } });
  assert.equal(res.status, 201, await res.clone().text());
}

Deno.test({
  name:
    "p2p plugin: an outbox flush seals its frames in batch calls of the node's cipher when it says so",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const engine = recordingEngine();
    const cipher = createNodeCipher("gpu", {
      engine,
      choose: chooseWebgpu,
    });
    await cipher.start();
    const specs = [await daemonSpec(91), await daemonSpec(92)];
    specs[0].cipher = cipher;
    const [a, b] = [await startDaemon(specs[0]), await startDaemon(specs[1])];
    try {
      await addContact(a, "b", b);
      const sent = await Promise.all(
        Array.from({ length: 200 }, (_, i) => a.p2p.send("b", `m${i}`)),
      );
      await waitFor("200 delivered", () => p2pNodeOf(a).stats().messagesOut === 200);
      const inbox = await (await b.api("/v1/inbox?limit=1000")).json() as {
        messages: { id: string; text: string }[];
      };
      assert.deepEqual(
        inbox.messages.map((m) => m.id).sort(),
        sent.map((s) => s.id).sort(),
        "every message arrived, once",
      );
      const batched = engine.batches.reduce((n, size) => n + size, 0);
      assert.equal(batched, 200, "every message frame went through the batch engine, once");
      assert.equal(p2pNodeOf(a).stats().framesBatched, 200);
      assert.ok(Math.max(...engine.batches) > 1, `batches of ${engine.batches.join(", ")}`);
      // B's acknowledgements are sealed per call: its node has no batch cipher.
      assert.equal(p2pNodeOf(b).stats().framesBatched, 0);
    } finally {
      for (const d of [a, b]) await d.stop().catch(() => {});
      for (const spec of specs) await Deno.remove(spec.home, { recursive: true });
    }
  },
});
