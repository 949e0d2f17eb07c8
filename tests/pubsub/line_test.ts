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

      const stats = async (d: LineDaemon) =>
        (await call<{ plugins: { pubsub: { stats: Record<string, number> } } }>(
          d,
          "GET",
          "/v1/stats",
        )).plugins.pubsub.stats;

      // A private topic: owner 0; members 2 and 5, which have 0 as a contact. 4 does not, so
      // its invite is refused and counted, until it adds 0 and is invited again.
      const owner = line[0];
      const { gossipTopic } = await call<{ gossipTopic: string }>(
        owner,
        "POST",
        "/v1/topics/team/private",
        undefined,
        201,
      );
      assert.match(gossipTopic, /^meteor-group\/[0-9a-f]{32}$/);
      const keys: Record<number, { topic: string; epoch: number }[]> = { 2: [], 4: [], 5: [] };
      for (const i of [2, 4, 5]) {
        line[i].daemon.node.events.on("pubsub:key", (k) => void keys[i].push(k));
        await addContact(owner, line[i], `m${i}`);
        if (i !== 4) await addContact(line[i], owner, "owner");
        await call(owner, "POST", "/v1/topics/team/members", { member: `m${i}` });
      }
      await waitFor("both keys", () => keys[2].length === 1 && keys[5].length === 1);
      await waitFor("the stranger's invite refused", async () => {
        const s = await stats(line[4]);
        return s.invitesRefused === 1 && s.grantsRefused === 1;
      });
      assert.deepEqual(keys[4], []);
      const topicsOf = async (d: LineDaemon) =>
        (await call<{ topics: { topic: string; role: string | null }[] }>(d, "GET", "/v1/topics"))
          .topics;
      assert.equal((await topicsOf(line[4])).some((t) => t.topic === "team"), false);
      await addContact(line[4], owner, "owner");
      await call(owner, "POST", "/v1/topics/team/members", { member: "m4" });
      await waitFor("4's key once 0 is its contact", () => keys[4].length === 1);
      assert.equal((await stats(line[4])).invitesRefused, 1);

      // The gossipsub topic is derived: a name is no gossipsub topic, another owner's "team" has
      // another one, and one cannot publish on a private topic's gossipsub topic by name.
      const other = await call<{ gossipTopic: string }>(
        line[1],
        "POST",
        "/v1/topics/team/private",
        undefined,
        201,
      );
      assert.notEqual(other.gossipTopic, gossipTopic);
      const wirePath = `/v1/topics/${encodeURIComponent(gossipTopic)}`;
      await call(owner, "POST", wirePath, { text: "x" }, 400);
      // Non-members 1 and 3 relay it by its gossipsub topic (3 watches what it can read).
      for (const i of [1, 3]) await call(line[i], "POST", `${wirePath}/subscribe`);
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
      await waitFor(
        "the non-member got it, unreadable",
        async () => (await stats(line[3])).unreadable >= 1,
      );
      assert.deepEqual(texts(line[3], "team"), []);
      assert.deepEqual(texts(line[3], gossipTopic), []);
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
