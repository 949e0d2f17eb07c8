import assert from "node:assert/strict";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import type { Stream } from "@libp2p/interface";
import { createLibp2p, type Libp2p } from "libp2p";
import {
  createDocument,
  formatDocument,
  formatMeteorId,
  parseDocumentText,
} from "../../core/identity/mod.ts";
import { libp2pPrivateKey } from "../../core/identity/_libp2p_key.ts";
import { seedSigner } from "../../core/crypto/sign.ts";
import { FramedStream } from "../../plugins/p2p/_framing.ts";
import { encodeRecord } from "../../plugins/p2p/_records.ts";
import { SESSION_PROTOCOL } from "../../plugins/p2p/mod.ts";
import {
  documentVerifier,
  finishInitiator,
  initiate,
  type LocalIdentity,
  Session,
} from "../../plugins/p2p/session/mod.ts";
import { testNode } from "./_fixtures.ts";
import { daemonSpec, p2pNodeOf, startDaemon, type TestDaemon, waitFor } from "./_daemon.ts";

/** A bare libp2p host with the Ed25519 key of a test node, for speaking raw frames. */
async function rawHost(seed: Uint8Array): Promise<Libp2p> {
  return await createLibp2p({
    privateKey: await libp2pPrivateKey(seed),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

/**
 * Opens a session stream, retrying while the daemon's libp2p refuses the
 * connection (it limits new inbound connections per host and second).
 */
async function dialSession(host: Libp2p, target: TestDaemon): Promise<Stream> {
  const addr = multiaddr(target.p2p.addresses()[0]);
  return await waitFor(
    "a session stream",
    () => host.dialProtocol(addr, SESSION_PROTOCOL).catch(() => false as const),
  );
}

/**
 * Opens a Meteor session to `target` as `local`; every frame sent is recorded,
 * and written to the stream as `tamper` changes it.
 */
async function rawSession(
  host: Libp2p,
  target: TestDaemon,
  local: LocalIdentity,
  tamper: (frame: Uint8Array) => Uint8Array = (frame) => frame,
) {
  const stream = await dialSession(host, target);
  const framed = new FramedStream(stream);
  const state = await initiate();
  framed.write(state.message1);
  const message2 = await framed.read(AbortSignal.timeout(10_000));
  const { message3, result } = await finishInitiator(
    state,
    local,
    message2!,
    documentVerifier(),
    target.keys.meteorId,
  );
  framed.write(message3);
  const sent: Uint8Array[] = [];
  const session = new Session(result, (frame) => {
    sent.push(frame);
    framed.write(tamper(frame));
  });
  return { framed, session, sent };
}

function message(id: string, text: string): Uint8Array {
  return encodeRecord({ type: "message", id, sentAt: Date.now(), text });
}

async function inboxTexts(daemon: TestDaemon): Promise<string[]> {
  const body = await (await daemon.api("/v1/inbox")).json();
  return body.messages.map((m: { text: string }) => m.text);
}

const stats = (d: TestDaemon) => p2pNodeOf(d).stats();

/** Waits until `d` has failed `n` more delivery attempts (a session it could not open). */
async function afterFailures(d: TestDaemon, n: number): Promise<void> {
  const start = stats(d).deliveryFailures;
  await waitFor(`${n} failed delivery attempts`, () => stats(d).deliveryFailures >= start + n);
}

/**
 * Waits until the daemon has ended the Meteor session on `stream` (it does
 * so after any protocol violation), then checks that the connection itself
 * survives: other protocols on it (DHT, gossipsub, bitswap) carry on.
 */
async function sessionEnded(host: Libp2p, stream: Stream): Promise<void> {
  await waitFor(
    "the session's end",
    () => stream.status !== "open" || stream.remoteWriteStatus !== "writable",
  );
  assert.ok(host.getConnections().length > 0, "the connection stays open");
}

Deno.test({
  name:
    "p2p plugin refuses a stranger presenting a contact's identity, and files a stranger as itself",
  fn: async () => {
    const spec = await daemonSpec(61);
    const alice = await startDaemon(spec);
    const bob = await testNode(62);
    const mallory = await testNode(63);
    const host = await rawHost(mallory.keys.seeds.ed25519);
    try {
      const res = await alice.api("/v1/contacts", {
        method: "POST",
        json: { name: "bob", id: formatMeteorId(bob.keys.meteorId) },
      });
      assert.equal(res.status, 201);
      const queued = (await (await alice.api("/v1/messages", {
        method: "POST",
        json: { to: "bob", text: "for bob only" },
      })).json()).id;
      // Mallory presents Bob's public document, signing with her own keys.
      const impostor = { ...bob.local, signer: seedSigner(mallory.keys.seeds) };
      const { framed } = await rawSession(host, alice, impostor);
      assert.equal(await framed.read(AbortSignal.timeout(10_000)).catch(() => null), null);
      await waitFor("the handshake failure", () => stats(alice).handshakeFailures >= 1);
      await sessionEnded(host, framed.stream);
      // As herself, Mallory can talk, but is never filed as Bob and never gets Bob's mail.
      const own = await rawSession(host, alice, mallory.local);
      own.session.send(message("m-1", "hello, I am totally bob"));
      await waitFor("mallory's message", async () => (await inboxTexts(alice)).length === 1);
      const [got] = (await (await alice.api("/v1/inbox")).json()).messages;
      assert.equal(got.contact, null);
      assert.notEqual(got.from, (await (await alice.api("/v1/contacts/bob")).json()).meteorId);
      await afterFailures(alice, 2);
      const outbox = (await (await alice.api("/v1/outbox")).json()).messages;
      assert.equal(outbox.find((m: { id: string }) => m.id === queued).deliveredAt, null);
    } finally {
      await host.stop();
      await alice.stop();
      await Deno.remove(spec.home, { recursive: true });
    }
  },
});

Deno.test({
  name: "p2p plugin: a stranger's daemon at a contact's addresses, or with its borrowed " +
    "document, never gets its mail nor passes as it",
  fn: async () => {
    const [sa, sb] = [await daemonSpec(91), await daemonSpec(92)];
    const sm = { ...await daemonSpec(93), ports: sb.ports }; // Mallory takes Bob's ports
    const daemons: TestDaemon[] = [];
    const start = async (spec: typeof sa) => {
      const daemon = await startDaemon(spec);
      daemons.push(daemon);
      return daemon;
    };
    const alice = await start(sa);
    let bob = await start(sb);
    try {
      const bobDoc = formatDocument(
        await createDocument(bob.keys, { addresses: bob.p2p.addresses() }),
      );
      const add = (d: TestDaemon, name: string, id: string) =>
        d.api("/v1/contacts", { method: "POST", json: { name, id } });
      assert.equal((await add(alice, "bob", bobDoc)).status, 201);
      await bob.stop();
      const mallory = await start(sm);
      // Bob's signed document with Mallory's addresses in it does not verify.
      const borrowed = formatDocument({
        ...parseDocumentText(bobDoc),
        addresses: mallory.p2p.addresses(),
      });
      const refused = await add(alice, "bob2", borrowed);
      assert.deepEqual([refused.status, (await refused.json()).error.code], [
        422,
        "E_BAD_SIGNATURE",
      ]);
      // Alice's mail for Bob goes to Bob's addresses, where Mallory listens: it never reaches her.
      const queued = (await (await alice.api("/v1/messages", {
        method: "POST",
        json: { to: "bob", text: "for bob only" },
      })).json()).id;
      const outboxEntry = async () =>
        (await (await alice.api("/v1/outbox")).json()).messages.find((m: { id: string }) =>
          m.id === queued
        );
      const waiting = await waitFor(
        "a failed attempt",
        async () => (await outboxEntry()).waiting ?? undefined,
      );
      assert.equal(waiting.code, "E_UNREACHABLE");
      // Mallory's own daemon writes to Alice: filed under Mallory's ID, not as Bob.
      assert.equal((await add(mallory, "alice", alice.id)).status, 201);
      await mallory.p2p.dial(alice.p2p.addresses()[0]);
      const sent = await mallory.api("/v1/messages", {
        method: "POST",
        json: { to: "alice", text: "hi alice, it's bob" },
      });
      assert.equal(sent.status, 202);
      await waitFor("mallory's message", async () => (await inboxTexts(alice)).length === 1);
      const [got] = (await (await alice.api("/v1/inbox")).json()).messages;
      assert.deepEqual([got.from, got.contact], [mallory.id, null]);
      await afterFailures(alice, 2);
      assert.equal((await outboxEntry()).deliveredAt, null);
      assert.deepEqual(await inboxTexts(mallory), []);
      // Bob comes back at his addresses and gets his message.
      await mallory.stop();
      bob = await start(sb);
      await waitFor("bob's message", async () => (await inboxTexts(bob)).includes("for bob only"));
      await waitFor("the acknowledgement", async () => (await outboxEntry()).deliveredAt !== null);
    } finally {
      for (const d of daemons) await d.stop().catch(() => {});
      for (const spec of [sa, sb, sm]) await Deno.remove(spec.home, { recursive: true });
    }
  },
});

Deno.test({
  name: "p2p plugin rejects replayed, tampered and garbage frames, counts them and keeps running",
  fn: async () => {
    const spec = await daemonSpec(71);
    const alice = await startDaemon(spec);
    const rita = await testNode(72);
    const host = await rawHost(rita.keys.seeds.ed25519);
    try {
      // A genuine message, then the same frame again.
      const one = await rawSession(host, alice, rita.local);
      one.session.send(message("r-1", "genuine"));
      await waitFor("the genuine message", async () => (await inboxTexts(alice)).length === 1);
      one.framed.write(one.sent[0]);
      await waitFor("the replay rejection", () => stats(alice)["rejected.E_REPLAY"] === 1);
      await sessionEnded(host, one.framed.stream);

      // A frame with one ciphertext bit flipped, then one cut short by a byte.
      const flipped = await rawSession(host, alice, rita.local, (f) => {
        const out = f.slice();
        out[20] ^= 1;
        return out;
      });
      flipped.session.send(message("r-2", "tampered"));
      await waitFor("the forgery rejection", () => stats(alice)["rejected.E_DECRYPT_FAILED"] === 1);
      await sessionEnded(host, flipped.framed.stream);
      const cut = await rawSession(host, alice, rita.local, (f) => f.subarray(0, f.length - 1));
      cut.session.send(message("r-3", "truncated"));
      await waitFor(
        "the truncation rejection",
        () => stats(alice)["rejected.E_DECRYPT_FAILED"] === 2,
      );

      // Garbage instead of a handshake: a huge length prefix, then random bytes.
      const before = stats(alice).handshakeFailures;
      const huge = await dialSession(host, alice);
      huge.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await sessionEnded(host, huge);
      const noise = await dialSession(host, alice);
      new FramedStream(noise).write(crypto.getRandomValues(new Uint8Array(1250)));
      await waitFor("two handshake failures", () => stats(alice).handshakeFailures === before + 2);
      await sessionEnded(host, noise);

      // Nothing bad was stored, and the node still works.
      const again = await rawSession(host, alice, rita.local);
      again.session.send(message("r-4", "still alive"));
      await waitFor("the last message", async () => (await inboxTexts(alice)).length === 2);
      assert.deepEqual(await inboxTexts(alice), ["genuine", "still alive"]);
    } finally {
      await host.stop();
      await alice.stop();
      await Deno.remove(spec.home, { recursive: true });
    }
  },
});
