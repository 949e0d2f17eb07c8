import assert from "node:assert/strict";
import {
  call,
  type LineDaemon,
  publish,
  startLine,
  startLineDaemon,
  stopLine,
  subscribeAll,
  waitFor,
} from "./_line.ts";

/** Makes `b` a contact of `a` (with its signed document, so `a` can reach it). */
async function addContact(a: LineDaemon, b: LineDaemon, name: string): Promise<void> {
  const { document } = await call<{ document: string }>(b, "GET", "/v1/id");
  await call(a, "POST", "/v1/contacts", { name, id: document }, 201);
}

/** The texts `d` delivered on `topic`. */
function texts(d: LineDaemon, topic: string): string[] {
  return d.received.filter((m) => m.topic === topic).map((m) => m.text);
}

const N = 6;

Deno.test({
  name: "pubsub on a line of six daemons: exactly once, private topics, rotation, restart",
  fn: async () => {
    const line = await startLine(N, 160);
    try {
      // Each published message reaches every subscriber exactly once, with its proven author.
      await subscribeAll(line, "news");
      const sent = ["m0", "m1", "m2", "m3", "m4"];
      for (const text of sent) await publish(line[0], "news", text);
      await publish(line[N - 1], "news", "from the end");
      await waitFor(
        "every delivery",
        () =>
          line.slice(1, N - 1).every((d) => texts(d, "news").length >= sent.length + 1) &&
          texts(line[N - 1], "news").length >= sent.length &&
          texts(line[0], "news").length >= 1,
      );
      await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up
      for (const d of line.slice(1, N - 1)) {
        assert.deepEqual(texts(d, "news").sort(), [...sent, "from the end"].sort());
      }
      assert.deepEqual(texts(line[N - 1], "news").sort(), sent);
      assert.deepEqual(texts(line[0], "news"), ["from the end"]);
      for (const m of line[3].received) {
        assert.equal(m.verified, true);
        assert.equal(m.from, m.text === "from the end" ? line[N - 1].daemon.id : line[0].daemon.id);
      }

      // A private topic: owner 0, members 2 and 5; 3 subscribes by name but is no member.
      const owner = line[0];
      await call(owner, "POST", "/v1/topics/team/private", undefined, 201);
      const keys: Record<number, { topic: string; epoch: number }[]> = { 2: [], 5: [] };
      for (const i of [2, 5]) {
        line[i].daemon.node.events.on("pubsub:key", (k) => void keys[i].push(k));
        await addContact(owner, line[i], `m${i}`);
        await call(owner, "POST", "/v1/topics/team/members", { member: `m${i}` });
      }
      await waitFor("both keys", () => keys[2].length === 1 && keys[5].length === 1);
      await call(line[3], "POST", "/v1/topics/team/subscribe");
      for (const d of line.filter((_, i) => ![0, 2, 3, 5].includes(i))) {
        await call(d, "POST", "/v1/topics/team/subscribe"); // relays on the line
      }
      await waitFor("the end of the line meshed on team", async () => {
        const { topics } = await call<{ topics: { topic: string; meshPeers: number }[] }>(
          line[5],
          "GET",
          "/v1/topics",
        );
        return (topics.find((t) => t.topic === "team")?.meshPeers ?? 0) >= 1;
      });
      await publish(owner, "team", "secret 1");
      await waitFor(
        "members read it",
        () =>
          texts(line[2], "team").includes("secret 1") &&
          texts(line[5], "team").includes("secret 1"),
      );
      const stats = async (d: LineDaemon) =>
        (await call<{ plugins: { pubsub: { stats: Record<string, number> } } }>(
          d,
          "GET",
          "/v1/stats",
        )).plugins.pubsub.stats;
      await waitFor(
        "the non-member got it, unreadable",
        async () => (await stats(line[3])).unreadable >= 1,
      );
      assert.deepEqual(texts(line[3], "team"), []);
      assert.deepEqual(line[2].received.find((m) => m.text === "secret 1")?.private, true);

      // Removing member 5 rotates the key: 2 gets epoch 2, 5 cannot read what follows.
      const removed = await call<{ epoch: number; undelivered: string[] }>(
        owner,
        "DELETE",
        "/v1/topics/team/members/m5",
      );
      assert.deepEqual({ epoch: removed.epoch, undelivered: removed.undelivered }, {
        epoch: 2,
        undelivered: [],
      });
      await waitFor("the new key", () => keys[2].some((k) => k.epoch === 2));
      await publish(owner, "team", "secret 2");
      await publish(line[2], "team", "secret 3 from a member");
      await waitFor(
        "member 2 reads both",
        () =>
          texts(line[2], "team").includes("secret 2") &&
          texts(owner, "team").includes("secret 3 from a member"),
      );
      await waitFor(
        "the ex-member got them, unreadable",
        async () => (await stats(line[5])).unreadable >= 2,
      );
      assert.deepEqual(texts(line[5], "team"), ["secret 1"]);
      assert.deepEqual(keys[5].map((k) => k.epoch), [1]);

      // A restart of a middle node keeps its subscriptions; the line carries messages again.
      const middle = 2;
      await line[middle].daemon.stop();
      line[middle] = await startLineDaemon(line[middle].spec, line[middle].received);
      const { topics } = await call<{ topics: { topic: string; subscribed: boolean }[] }>(
        line[middle],
        "GET",
        "/v1/topics",
      );
      assert.deepEqual(
        topics.filter((t) => t.subscribed).map((t) => t.topic),
        ["news", "team"],
      );
      await subscribeAll(line, "news");
      await publish(line[0], "news", "after restart");
      await waitFor(
        "delivery through the restarted node",
        () => line.slice(1).every((d) => texts(d, "news").includes("after restart")),
      );
      await publish(owner, "team", "secret 4");
      await waitFor(
        "the restarted member reads with its stored key",
        () => texts(line[middle], "team").includes("secret 4"),
      );
      await new Promise((r) => setTimeout(r, 300));
      for (const d of line.slice(1)) {
        assert.equal(texts(d, "news").filter((t) => t === "after restart").length, 1);
      }
    } finally {
      await stopLine(line);
    }
  },
});
