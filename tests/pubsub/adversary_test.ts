import assert from "node:assert/strict";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub, StrictSign } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { seedSigner, sha256 } from "../../core/crypto/mod.ts";
import { deriveKeys, formatMeteorId, type NodeKeys } from "../../core/identity/mod.ts";
import { libp2pPrivateKey } from "../../core/identity/_libp2p_key.ts";
import { sealEnvelope } from "../../plugins/pubsub/envelope.ts";
import { daemonSpec } from "../p2p/_daemon.ts";
import { call, type LineDaemon, startLineDaemon, stopLine, waitFor } from "./_line.ts";

const TOPIC = "adversary";

/** A bare libp2p peer with gossipsub and no Meteor validation: it publishes whatever it is given. */
async function rawPeer(keys?: NodeKeys): Promise<Libp2p<{ pubsub: GossipSub }>> {
  return await createLibp2p({
    ...(keys ? { privateKey: await libp2pPrivateKey(keys.seeds.ed25519) } : {}),
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictSign,
        msgIdFn: (m) => sha256(m.data),
        allowPublishToZeroTopicPeers: true,
      }),
    },
  });
}

/** The gossipsub internals a replay needs: the cache of sent messages and the RPC sender. */
interface RouterInternals {
  mcache: { get(id: Uint8Array): unknown };
  sendRpc(peer: string, rpc: { subscriptions: []; messages: unknown[] }): boolean;
}

/** `from` sends `to` the very gossipsub message `author` published (its ID is `id`). */
async function replay(
  author: Libp2p<{ pubsub: GossipSub }>,
  from: Libp2p<{ pubsub: GossipSub }>,
  to: string,
  id: Uint8Array,
): Promise<void> {
  const message = (author.services.pubsub as unknown as RouterInternals).mcache.get(id);
  assert.ok(message, "the author's gossipsub keeps the message it published");
  const router = from.services.pubsub as unknown as RouterInternals;
  await waitFor(
    "a stream to the target",
    () => router.sendRpc(to, { subscriptions: [], messages: [message] }),
  );
}

/** A valid or doctored envelope signed by `keys`. */
function envelope(keys: NodeKeys, text: string, timestamp = Date.now()) {
  return sealEnvelope(TOPIC, {
    kind: "public",
    timestamp,
    nonce: crypto.getRandomValues(new Uint8Array(16)),
    author: keys.publicKeys,
    epoch: 0,
    body: new TextEncoder().encode(text),
  }, seedSigner(keys.seeds));
}

Deno.test({
  name:
    "garbage, oversized, forged, stale and replayed pubsub messages from raw libp2p peers are dropped, counted and penalised",
  fn: async () => {
    const target: LineDaemon[] = [await startLineDaemon(await daemonSpec(190))];
    const keys = await deriveKeys(new Uint8Array(32).fill(191));
    const other = await deriveKeys(new Uint8Array(32).fill(192));
    const attacker = await rawPeer(keys);
    const replayer = await rawPeer();
    try {
      const t = target[0];
      await call(t, "POST", `/v1/topics/${TOPIC}/subscribe`);
      // The replayer does not subscribe, so the target never forwards the original to it.
      attacker.services.pubsub.subscribe(TOPIC);
      for (const peer of [attacker, replayer]) {
        await peer.dial(multiaddr(t.daemon.p2p.addresses()[0]));
      }
      const targetPeer = t.daemon.p2p.libp2p.peerId;
      await waitFor(
        "the raw peers see the target on the topic",
        () =>
          [attacker, replayer].every((p) =>
            p.services.pubsub.getSubscribers(TOPIC).some((id) => id.equals(targetPeer))
          ),
      );
      const stats = async () =>
        (await call<{ plugins: { pubsub: { stats: Record<string, number> } } }>(
          t,
          "GET",
          "/v1/stats",
        )).plugins.pubsub.stats;

      // A valid message from the raw peer is delivered; the same gossipsub message (author,
      // sequence number and signature) forwarded again by another peer is a duplicate.
      const valid = await envelope(keys, "valid");
      await attacker.services.pubsub.publish(TOPIC, valid);
      await waitFor("the valid message", () => t.received.length === 1);
      await replay(attacker, replayer, targetPeer.toString(), sha256(valid));
      await waitFor("the replay counted", async () => (await stats()).duplicates === 1);
      // The same envelope re-signed by the replayer's libp2p key is no duplicate: it is forged
      // (and cannot make the genuine message a duplicate where it has not arrived yet).
      await replayer.services.pubsub.publish(TOPIC, valid);
      await waitFor("the re-signed copy rejected", async () => (await stats()).forged === 1);

      // Then the bad ones, each rejected before delivery and counted by reason.
      const forgedSignature = await envelope(keys, "forged");
      forgedSignature[forgedSignature.length - 1] ^= 1;
      const cases: [string, Uint8Array][] = [
        ["malformed", crypto.getRandomValues(new Uint8Array(512))],
        ["oversized", new Uint8Array(100 * 1024)],
        ["stale", await envelope(keys, "old", Date.now() - 10 * 60_000)],
        ["forged", forgedSignature],
        ["forged", await envelope(other, "someone else's envelope under my libp2p key")],
      ];
      for (const [, data] of cases) await attacker.services.pubsub.publish(TOPIC, data);
      await waitFor("every drop counted", async () => {
        const s = await stats();
        return s.malformed === 1 && s.oversized === 1 && s.stale === 1 && s.forged === 3;
      });
      const s = await stats();
      assert.equal(s.accepted, 1);
      assert.equal(s.delivered, 1);
      assert.deepEqual(t.received.map((m) => m.text), ["valid"]);
      assert.equal(t.received[0].from, formatMeteorId(keys.meteorId));
      // Gossipsub's score holds the rejections against the peer that sent them.
      const router = (t.daemon.p2p.libp2p.services as Record<string, unknown>).pubsub as {
        getScore(id: string): number;
      };
      // (scores are cached for up to a heartbeat)
      await waitFor(
        "the attacker's score below the gossip threshold",
        () => router.getScore(attacker.peerId.toString()) < -10,
        5_000,
      );
      assert.equal(s.duplicates, 1);
      // The node stays up.
      assert.equal((await t.daemon.api("/v1/health")).status, 200);
    } finally {
      await attacker.stop();
      await replayer.stop();
      await stopLine(target);
    }
  },
});
