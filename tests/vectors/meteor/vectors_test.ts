/**
 * Meteor's own test vectors (tests/vectors/meteor/*.json, described in
 * docs/identity.md §7 and docs/protocol.md §11): the project reproduces every
 * byte, and an independent re-computation with @noble/* (hashes, ciphers,
 * curves, post-quantum) and @scure/base agrees with every value.
 */
import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { sha3_256 } from "@noble/hashes/sha3.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { base58 } from "@scure/base";
import { concat, fromHex, toHex, utf8 } from "../../../core/bytes.ts";
import { hybridVerify } from "../../../core/crypto/sign.ts";
import { type ErrorCode, isMeteorError } from "../../../core/errors.ts";
import { deriveKeys, parseDocumentText, readDocument } from "../../../core/identity/mod.ts";
import { decodeRecord, type DirectRecord, encodeRecord } from "../../../plugins/p2p/_records.ts";
import { buildVectors, runHandshake, runSession } from "./_build.ts";
import { vectorText } from "./generate.ts";

type Vector = Record<string, unknown>;
const NAMES = ["identity", "document", "handshake", "session", "records"] as const;

/** Loads one vector file; fails when it holds no vector, so a lost file never passes. */
async function load(name: string): Promise<{ text: string; vectors: Vector[] }> {
  const text = await Deno.readTextFile(new URL(`./${name}.json`, import.meta.url));
  const vectors = JSON.parse(text).vectors;
  if (!Array.isArray(vectors) || vectors.length === 0) {
    throw new Error(`tests/vectors/meteor/${name}.json holds no vectors`);
  }
  return { text, vectors };
}

const FILES = Object.fromEntries(
  await Promise.all(NAMES.map(async (name) => [name, await load(name)] as const)),
) as Record<(typeof NAMES)[number], { text: string; vectors: Vector[] }>;

const b = (v: Vector, key: string): Uint8Array => fromHex(v[key] as string);
const n = (v: Vector, key: string): number => v[key] as number;
const EMPTY = new Uint8Array(0);
const nobleHkdf = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) =>
  hkdf(sha256, ikm, salt, info, length);
const nobleDerive = (secret: Uint8Array, label: string, context: Uint8Array) =>
  nobleHkdf(secret, EMPTY, concat(utf8(`meteor ${label}`), context), 32);
const u16 = (x: number) => new Uint8Array([x >> 8, x & 0xff]);
const fieldOf = (x: Uint8Array) => concat(u16(x.length), x);

Deno.test("the vector files are exactly what generate.ts writes from the project's code", async () => {
  const built = await buildVectors();
  for (const name of NAMES) {
    assert.equal(FILES[name].text, vectorText(built[name]), `${name}.json`);
  }
});

Deno.test("identity vectors: @noble derives the same seeds, keys, MeteorID and PeerId", async () => {
  for (const v of FILES.identity.vectors) {
    const seed = b(v, "seed");
    const label = (name: string) => nobleHkdf(seed, EMPTY, utf8(`meteor/v1/${name}`), 32);
    assert.deepEqual(label("ed25519"), b(v, "ed25519Seed"), v.name as string);
    assert.deepEqual(label("xwing"), b(v, "xwingSeed"));
    assert.deepEqual(label("ml-dsa-65"), b(v, "mldsa65Seed"));
    assert.deepEqual(ed25519.getPublicKey(b(v, "ed25519Seed")), b(v, "ed25519PublicKey"));
    assert.deepEqual(ml_kem768_x25519.keygen(b(v, "xwingSeed")).publicKey, b(v, "xwingPublicKey"));
    assert.deepEqual(ml_dsa65.keygen(b(v, "mldsa65Seed")).publicKey, b(v, "mldsa65PublicKey"));
    const bundle = concat(
      utf8("meteor/v1/key-bundle"),
      new Uint8Array([0]),
      b(v, "ed25519PublicKey"),
      b(v, "xwingPublicKey"),
      b(v, "mldsa65PublicKey"),
    );
    assert.deepEqual(bundle, b(v, "keyBundle"));
    assert.deepEqual(sha3_256(bundle), b(v, "meteorId"));
    // libp2p peer-ids spec: identity multihash (0x00, length 36) of the protobuf
    // PublicKey { Type = Ed25519 (1), Data = 32 bytes }, in base58btc without a prefix.
    const protobuf = concat(new Uint8Array([0x08, 0x01, 0x12, 0x20]), b(v, "ed25519PublicKey"));
    const peerId = base58.encode(concat(new Uint8Array([0x00, protobuf.length]), protobuf));
    assert.equal(peerId, v.peerId);
    const keys = await deriveKeys(seed);
    assert.equal(keys.peerId, v.peerId);
    assert.equal(toHex(keys.meteorId), v.meteorId);
  }
});

Deno.test("document vectors: valid ones verify (project and @noble), invalid ones fail with their code", async () => {
  for (const v of FILES.document.vectors) {
    const name = v.name as string;
    const reading = readDocument(b(v, "document"), { now: n(v, "now") });
    if (v.expect !== "valid") {
      await assert.rejects(reading, (err) => isMeteorError(err, v.expect as never), name);
      continue;
    }
    const doc = await reading;
    assert.deepEqual(parseDocumentText(v.documentText as string), doc, name);
    assert.deepEqual(doc.addresses, v.addresses);
    assert.equal(doc.sequence, v.sequence);
    assert.equal(doc.issuedAt, v.issuedAt);
    assert.equal(doc.expiresAt, v.expiresAt);
    const bytes = b(v, "document");
    const signature = b(v, "signature");
    const body = bytes.subarray(0, bytes.length - signature.length);
    const context = "meteor/v1/identity-document";
    const signed = concat(utf8("meteor/v1/hybrid-sig"), new Uint8Array([0, context.length]));
    assert.deepEqual(concat(signed, utf8(context), body), b(v, "signedBytes"));
    await hybridVerify(doc.publicKeys, context, body, signature);
    assert.ok(
      ml_dsa65.verify(signature.subarray(0, 3309), b(v, "signedBytes"), doc.publicKeys.mldsa65),
    );
    assert.ok(
      ed25519.verify(signature.subarray(3309), b(v, "signedBytes"), doc.publicKeys.ed25519),
    );
    // Deterministic ML-DSA (FIPS 204, rnd = 0^32) reproduces the signature exactly.
    const { secretKey } = ml_dsa65.keygen((await deriveKeys(b(v, "seed"))).seeds.mldsa65);
    const again = ml_dsa65.sign(b(v, "signedBytes"), secretKey, { extraEntropy: false });
    assert.deepEqual(again, signature.subarray(0, 3309));
  }
});

Deno.test("handshake vector: @noble recomputes every message and key from its inputs", () => {
  const [v] = FILES.handshake.vectors;
  const m1 = b(v, "m1");
  assert.deepEqual(sha256(utf8(v.protocol as string)), b(v, "salt0"));
  assert.deepEqual(ml_kem768_x25519.keygen(b(v, "eskI")).publicKey, b(v, "epkI"));
  assert.deepEqual(m1, concat(new Uint8Array([1, 1]), b(v, "nonceI"), b(v, "epkI")));
  const { sharedSecret, cipherText } = ml_kem768_x25519.encapsulate(b(v, "epkI"), b(v, "eseed"));
  assert.deepEqual(sharedSecret, b(v, "ss"));
  assert.deepEqual(cipherText, b(v, "ct"));
  assert.deepEqual(ml_kem768_x25519.decapsulate(b(v, "ct"), b(v, "eskI")), b(v, "ss"));
  const h2 = concat(new Uint8Array([1, 2]), b(v, "nonceR"), b(v, "ct"));
  assert.deepEqual(h2, b(v, "h2"));
  const th2 = sha256(concat(m1, h2));
  assert.deepEqual(th2, b(v, "th2"));
  const hs = nobleHkdf(b(v, "ss"), b(v, "salt0"), concat(utf8("meteor hs"), th2), 32);
  assert.deepEqual(hs, b(v, "hs"));
  for (const [key, label] of [["kR", "r hs key"], ["fkR", "r finished"], ["kI", "i hs key"]]) {
    assert.deepEqual(nobleDerive(hs, label, th2), b(v, key), key);
  }
  assert.deepEqual(nobleDerive(hs, "i finished", th2), b(v, "fkI"));
  const z12 = new Uint8Array(12);
  // Message 2: the payload opens under k_r and is D_r || S_r || fin_r.
  const m2 = b(v, "m2");
  const pR = chacha20poly1305(b(v, "kR"), z12, h2).decrypt(m2.subarray(h2.length));
  assert.deepEqual(pR, b(v, "pR"));
  const dR = fieldOf(b(v, "responderDocument"));
  assert.deepEqual(sha256(concat(m1, h2, dR)), b(v, "sigMessageR"));
  const sR = fieldOf(b(v, "sigR"));
  assert.deepEqual(sha256(concat(m1, h2, dR, sR)), b(v, "finInputR"));
  assert.deepEqual(hmac(sha256, b(v, "fkR"), b(v, "finInputR")), b(v, "finR"));
  assert.deepEqual(pR, concat(dR, sR, b(v, "finR")));
  // Message 3.
  const h3 = new Uint8Array([1, 3]);
  assert.deepEqual(h3, b(v, "h3"));
  const t3 = concat(m1, h2, pR, h3);
  const dI = fieldOf(b(v, "initiatorDocument"));
  assert.deepEqual(sha256(concat(t3, dI)), b(v, "sigMessageI"));
  const sI = fieldOf(b(v, "sigI"));
  assert.deepEqual(sha256(concat(t3, dI, sI)), b(v, "finInputI"));
  assert.deepEqual(hmac(sha256, b(v, "fkI"), b(v, "finInputI")), b(v, "finI"));
  const pI = concat(dI, sI, b(v, "finI"));
  assert.deepEqual(pI, b(v, "pI"));
  assert.deepEqual(concat(h3, chacha20poly1305(b(v, "kI"), z12, h3).encrypt(pI)), b(v, "m3"));
  assert.deepEqual(concat(h2, chacha20poly1305(b(v, "kR"), z12, h2).encrypt(pR)), m2);
  // Session keys (§3.4).
  const th = sha256(concat(t3, pI));
  assert.deepEqual(th, b(v, "th"));
  const ms = nobleDerive(hs, "master", th);
  assert.deepEqual(ms, b(v, "ms"));
  const ctx = b(v, "ctx");
  assert.equal(ctx.length, 64);
  const root0 = nobleHkdf(ms, EMPTY, concat(utf8("meteor root"), ctx), 32);
  assert.deepEqual(root0, b(v, "root0"));
  assert.deepEqual(
    nobleHkdf(root0, EMPTY, concat(utf8("meteor chain i2r"), ctx), 32),
    b(v, "ckIR"),
  );
  assert.deepEqual(
    nobleHkdf(root0, EMPTY, concat(utf8("meteor chain r2i"), ctx), 32),
    b(v, "ckRI"),
  );
});

Deno.test("handshake vector: the signatures verify with the project's verifier and @noble", async () => {
  const [v] = FILES.handshake.vectors;
  const now = n(v, "now");
  const responder = await readDocument(b(v, "responderDocument"), { now });
  const initiator = await readDocument(b(v, "initiatorDocument"), { now });
  assert.deepEqual(toHex(responder.meteorId), v.expectedId);
  assert.deepEqual(concat(initiator.meteorId, responder.meteorId), b(v, "ctx"));
  for (
    const [side, keys, context] of [
      ["R", responder.publicKeys, "meteor/session/v1/responder"],
      ["I", initiator.publicKeys, "meteor/session/v1/initiator"],
    ] as const
  ) {
    const signature = b(v, `sig${side}`);
    await hybridVerify(keys, context, b(v, `sigMessage${side}`), signature);
    const signed = b(v, `signedBytes${side}`);
    assert.deepEqual(
      signed,
      concat(
        utf8("meteor/v1/hybrid-sig"),
        new Uint8Array([0, context.length]),
        utf8(context),
        b(v, `sigMessage${side}`),
      ),
    );
    assert.ok(ml_dsa65.verify(signature.subarray(0, 3309), signed, keys.mldsa65));
    assert.ok(ed25519.verify(signature.subarray(3309), signed, keys.ed25519));
  }
});

Deno.test("handshake vector: the project's handshake gives the vector's messages and keys", async () => {
  const [v] = FILES.handshake.vectors;
  const { m1, m2, m3, iResult, rResult } = await runHandshake();
  assert.equal(toHex(m1), v.m1);
  assert.equal(toHex(m2), v.m2);
  assert.equal(toHex(m3), v.m3);
  for (const result of [iResult, rResult]) {
    assert.equal(toHex(result.transcriptHash), v.th);
    assert.equal(toHex(result.context), v.ctx);
    assert.equal(toHex(result.root), v.root0);
    assert.equal(toHex(result.chains.i2r), v.ckIR);
    assert.equal(toHex(result.chains.r2i), v.ckRI);
  }
});

Deno.test("session vector: @noble opens every frame with the ratchet and rekey keys", () => {
  const [v] = FILES.session.vectors;
  const ctx = b(v, "ctx");
  const chain = (root: Uint8Array, dir: string) =>
    nobleHkdf(root, EMPTY, concat(utf8(`meteor chain ${dir}`), ctx), 32);
  assert.deepEqual(chain(b(v, "root0"), "i2r"), b(v, "ckIR"));
  assert.deepEqual(chain(b(v, "root0"), "r2i"), b(v, "ckRI"));
  // §6: the rekey exchange and the epoch-1 keys.
  const epk = ml_kem768_x25519.keygen(b(v, "rekeySeed")).publicKey;
  assert.deepEqual(epk, b(v, "rekeyPublicKey"));
  const { sharedSecret, cipherText } = ml_kem768_x25519.encapsulate(epk, b(v, "rekeyEseed"));
  assert.deepEqual(cipherText, b(v, "rekeyCiphertext"));
  assert.deepEqual(sharedSecret, b(v, "rekeySharedSecret"));
  const info = concat(
    utf8("meteor rekey"),
    new Uint8Array([0, 0, 0, 1]),
    sha256(concat(epk, cipherText)),
  );
  const root1 = nobleHkdf(sharedSecret, b(v, "root0"), info, 32);
  assert.deepEqual(root1, b(v, "root1"));
  assert.deepEqual(chain(root1, "i2r"), b(v, "ckIR1"));
  assert.deepEqual(chain(root1, "r2i"), b(v, "ckRI1"));
  const keys: Record<string, Uint8Array[]> = {
    initiator: [b(v, "ckIR"), b(v, "ckIR1")],
    responder: [b(v, "ckRI"), b(v, "ckRI1")],
  };
  const state: Record<string, { epoch: number; ck: Uint8Array }> = {
    initiator: { epoch: 0, ck: keys.initiator[0] },
    responder: { epoch: 0, ck: keys.responder[0] },
  };
  const seqs: Record<string, number[]> = { initiator: [], responder: [] };
  const frames = v.frames as Vector[];
  for (const f of frames) {
    const from = f.from as string;
    const s = state[from];
    if (n(f, "epoch") !== s.epoch) s.ck = keys[from][s.epoch = n(f, "epoch")];
    assert.deepEqual(s.ck, b(f, "chainKey"));
    const out = nobleHkdf(s.ck, EMPTY, utf8("meteor ratchet"), 64);
    assert.deepEqual(out.subarray(0, 32), b(f, "messageKey"));
    assert.deepEqual(out.subarray(32), b(f, "nextChainKey"));
    s.ck = out.slice(32);
    const header = concat(new Uint8Array([1, 0x10]), b(f, "nonce"));
    assert.deepEqual(header, b(f, "header"));
    const view = new DataView(header.buffer);
    assert.equal(view.getUint32(2), f.epoch);
    assert.equal(Number(view.getBigUint64(6)), f.seq);
    const frame = b(f, "frame");
    assert.deepEqual(frame.subarray(0, 14), header);
    const inner = chacha20poly1305(b(f, "messageKey"), b(f, "nonce"), header)
      .decrypt(frame.subarray(14));
    assert.deepEqual(inner, concat(new Uint8Array([n(f, "kind")]), b(f, "body")));
    seqs[from].push(n(f, "seq"));
  }
  // Sequence numbers count every frame of a direction, rekey frames too, across epochs.
  for (const list of Object.values(seqs)) assert.deepEqual(list, list.map((_, i) => i));
  const kinds = frames.map((f) => f.kind);
  assert.ok(kinds.includes(2) && kinds.includes(3), "a rekey request and response");
  assert.ok(frames.some((f) => f.kind === 1 && f.body === ""), "an empty data frame");
  assert.ok(frames.some((f) => f.epoch === 1), "frames after the rekey");
});

Deno.test("session vector: the project's sessions send the vector's frames and receive its data", async () => {
  const [v] = FILES.session.vectors;
  const { iResult, rResult } = await runHandshake();
  const wire = await runSession(iResult, rResult);
  const frames = v.frames as Vector[];
  assert.equal(wire.length, frames.length);
  for (const [i, f] of frames.entries()) {
    assert.equal(wire[i].from, f.from, `frame ${i}`);
    assert.equal(toHex(wire[i].frame), f.frame, `frame ${i}`);
    if (f.kind === 1) {
      assert.equal(toHex(wire[i].received!), f.body, `frame ${i} data`);
      if (f.body !== "") decodeRecord(b(f, "body"));
    } else {
      assert.equal(wire[i].received, null, `frame ${i} is a rekey frame`);
    }
  }
});

Deno.test("record vectors: the project decodes and encodes each byte for byte, refuses the malformed", () => {
  let valid = 0;
  for (const v of FILES.records.vectors) {
    const bytes = b(v, "bytes");
    if (v.error !== undefined) {
      assert.throws(
        () => decodeRecord(bytes),
        (err) => isMeteorError(err, v.error as ErrorCode),
        `${v.name}`,
      );
      continue;
    }
    const expected = v.record as Record<string, unknown>;
    const record = expected.type === "plugin"
      ? { ...expected, payload: fromHex(expected.payload as string) } as DirectRecord
      : expected as DirectRecord;
    assert.deepEqual(decodeRecord(bytes), record, `${v.name}`);
    assert.deepEqual(encodeRecord(record), bytes, `${v.name}`);
    valid++;
  }
  assert.ok(valid > 0, "no valid record vector loaded");
  // docs/protocol.md §7's example, by hand: 0x04, then each id with its length.
  const acks = FILES.records.vectors.find((v) => v.name === "acks of two ids")!;
  assert.equal(acks.bytes, "04036d2d31046d2d3232");
});
