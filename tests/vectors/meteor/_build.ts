/**
 * Builds Meteor's own test vectors (docs/identity.md §7, docs/protocol.md
 * §11) with the project's code from fixed inputs: every seed, timestamp and
 * random byte is chosen here, and ML-DSA-65 signs deterministically
 * (`_signer.ts`), so two runs give identical files. `generate.ts` writes
 * them; `vectors_test.ts` checks the project and @noble/* against them.
 *
 * @module
 */
import { concat, toHex, utf8 } from "../../../core/bytes.ts";
import { hmacSha256, sha256 } from "../../../core/crypto/hash.ts";
import { hybridSignedBytes } from "../../../core/crypto/sign.ts";
import { xwingEncapsulate, xwingPublicKey } from "../../../core/crypto/xwing.ts";
import {
  createDocument,
  deriveKeys,
  DOCUMENT_SIGNATURE_CONTEXT,
  type DocumentFields,
  encodeDocument,
  encodePublicKeyBundle,
  formatDocument,
  formatMeteorId,
  type NodeKeys,
  parseDocument,
} from "../../../core/identity/mod.ts";
import { type DirectRecord, encodeRecord } from "../../../plugins/p2p/_records.ts";
import { field } from "../../../plugins/p2p/session/_codec.ts";
import {
  chainKeys,
  derive,
  handshakeSecret,
  PROTOCOL_NAME,
  ratchetStep,
  rekeyRoot,
} from "../../../plugins/p2p/session/_kdf.ts";
import {
  documentVerifier,
  finishInitiator,
  finishResponder,
  type HandshakeResult,
  initiate,
  type LocalIdentity,
  type RandomBytes,
  respond,
  Session,
} from "../../../plugins/p2p/session/mod.ts";
import { recordVectors } from "./_records.ts";
import { deterministicSigner } from "./_signer.ts";

/** The vector files, by name (tests/vectors/meteor/<name>.json). */
export type VectorFiles = Record<
  "identity" | "document" | "handshake" | "session" | "records",
  VectorFile
>;

/** One vector file: what it pins, where that is specified, and its vectors. */
export interface VectorFile {
  /** What the vectors pin. */
  about: string;
  /** The sections of docs/ that specify it. */
  spec: string;
  /** At least one vector. */
  vectors: Record<string, unknown>[];
}

/** `length` bytes counting up from `start` (mod 256): readable fixed "randomness". */
export function pattern(start: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

/** A RandomBytes that hands out `values` in order and fails on any other request. */
export function queued(...values: Uint8Array[]): RandomBytes {
  const queue = values.map((v) => v.slice());
  return (length) => {
    const next = queue.shift();
    if (next === undefined || next.length !== length) {
      throw new Error(`vector randomness: no ${length}-byte value queued`);
    }
    return next;
  };
}

/** The node seeds of the vectors. */
export const SEEDS = {
  initiator: pattern(0x00, 32),
  responder: pattern(0x20, 32),
  zero: new Uint8Array(32),
  ones: new Uint8Array(32).fill(0xff),
};

/** 2026-01-01T00:00:00Z: the issue time of the vector documents. */
export const ISSUED_AT = 1_767_225_600_000;
/** The verification time of the vector documents and handshake: one hour later. */
export const NOW = ISSUED_AT + 3_600_000;

/** The handshake's fixed randomness (§3.1, §3.2), in the order the code draws it. */
export const HANDSHAKE_RANDOM = {
  eskI: pattern(0x40, 32),
  nonceI: pattern(0x60, 32),
  eseed: pattern(0x80, 64),
  nonceR: pattern(0xc0, 32),
};

/** The session's fixed rekey randomness (§6). */
export const REKEY_RANDOM = { seed: pattern(0xe0, 32), eseed: pattern(0x10, 64) };

/** The document fields of both handshake sides: no address, valid 30 days. */
export const HANDSHAKE_DOCUMENT: DocumentFields = {
  issuedAt: ISSUED_AT,
  expiresAt: ISSUED_AT + 30 * 86_400_000,
  sequence: ISSUED_AT,
};

const hex = toHex;

async function identityVector(name: string, seed: Uint8Array) {
  const keys = await deriveKeys(seed);
  return {
    name,
    seed: hex(seed),
    ed25519Seed: hex(keys.seeds.ed25519),
    xwingSeed: hex(keys.seeds.xwing),
    mldsa65Seed: hex(keys.seeds.mldsa65),
    ed25519PublicKey: hex(keys.publicKeys.ed25519),
    xwingPublicKey: hex(keys.publicKeys.xwing),
    mldsa65PublicKey: hex(keys.publicKeys.mldsa65),
    keyBundle: hex(encodePublicKeyBundle(keys.publicKeys)),
    meteorId: hex(keys.meteorId),
    meteorIdText: formatMeteorId(keys.meteorId),
    peerId: keys.peerId,
  };
}

/** A node's signed document with the deterministic signer. */
async function signedDocument(keys: NodeKeys, fields: DocumentFields): Promise<Uint8Array> {
  return encodeDocument(await createDocument(keys, fields, deterministicSigner(keys.seeds)));
}

async function documentVectors() {
  const keys = await deriveKeys(SEEDS.initiator);
  const fields: DocumentFields = {
    addresses: [`/ip4/192.0.2.1/tcp/4001/p2p/${keys.peerId}`, "/ip6/2001:db8::1/tcp/4001/ws"],
    issuedAt: ISSUED_AT,
    expiresAt: ISSUED_AT + 365 * 86_400_000,
    sequence: 7,
  };
  const valid = async (name: string, f: DocumentFields) => {
    const document = await signedDocument(keys, f);
    const body = document.subarray(0, document.length - 3373);
    return {
      name,
      seed: hex(SEEDS.initiator),
      now: NOW,
      expect: "valid",
      addresses: f.addresses ?? [],
      sequence: f.sequence,
      issuedAt: f.issuedAt,
      expiresAt: f.expiresAt,
      signedBytes: hex(hybridSignedBytes(DOCUMENT_SIGNATURE_CONTEXT, body)),
      signature: hex(document.subarray(body.length)),
      document: hex(document),
      documentText: formatDocument(parseDocument(document)),
    };
  };
  const base = await signedDocument(keys, fields);
  const flipped = base.slice();
  flipped[base.length - 1] ^= 0x01;
  const invalid = (name: string, document: Uint8Array, now: number, expect: string) => ({
    name,
    now,
    expect,
    document: hex(document),
  });
  return [
    await valid("two addresses, one year", fields),
    await valid("no address, 30 days", HANDSHAKE_DOCUMENT),
    invalid("expired: now = expiresAt", base, fields.expiresAt!, "E_EXPIRED"),
    invalid("issued 5 min + 1 ms in the future", base, ISSUED_AT - 300_001, "E_EXPIRED"),
    invalid("Ed25519 signature altered", flipped, NOW, "E_BAD_SIGNATURE"),
    invalid("trailing byte", concat(base, new Uint8Array(1)), NOW, "E_MALFORMED"),
  ];
}

/** A node for the handshake vector: keys, document and a deterministic signer. */
async function vectorNode(seed: Uint8Array, fields: DocumentFields): Promise<LocalIdentity> {
  const keys = await deriveKeys(seed);
  return {
    meteorId: keys.meteorId,
    document: await signedDocument(keys, fields),
    signer: deterministicSigner(keys.seeds),
  };
}

/** Runs the vector handshake with the project's code; both results and every message. */
export async function runHandshake() {
  const initiator = await vectorNode(SEEDS.initiator, HANDSHAKE_DOCUMENT);
  const responder = await vectorNode(SEEDS.responder, HANDSHAKE_DOCUMENT);
  const verify = documentVerifier(() => NOW);
  const r = HANDSHAKE_RANDOM;
  const state = await initiate(queued(r.eskI, r.nonceI));
  const m1 = state.message1;
  const rs = await respond(responder, m1, queued(r.eseed, r.nonceR));
  const m2 = rs.message2;
  const { message3: m3, result: iResult } = await finishInitiator(
    state,
    initiator,
    m2,
    verify,
    responder.meteorId,
  );
  const rResult = await finishResponder(rs, m3, verify);
  return { initiator, responder, m1, m2, m3, iResult, rResult };
}

async function handshakeVector() {
  const { initiator, responder, m1, m2, m3 } = await runHandshake();
  const r = HANDSHAKE_RANDOM;
  const epkI = await xwingPublicKey(r.eskI);
  const { sharedSecret: ss, ciphertext: ct } = await xwingEncapsulate(epkI, r.eseed);
  const h2 = m2.subarray(0, 2 + 32 + 1120);
  const th2 = sha256(concat(m1, h2));
  const hs = handshakeSecret(ss, th2);
  const kR = derive(hs, "r hs key", th2);
  const fkR = derive(hs, "r finished", th2);
  const kI = derive(hs, "i hs key", th2);
  const fkI = derive(hs, "i finished", th2);
  const dR = field(responder.document);
  const sigMessageR = sha256(concat(m1, h2, dR));
  const sigR = await responder.signer.sign("meteor/session/v1/responder", sigMessageR);
  const sR = field(sigR);
  const finInputR = sha256(concat(m1, h2, dR, sR));
  const finR = hmacSha256(fkR, finInputR);
  const pR = concat(dR, sR, finR);
  const h3 = m3.subarray(0, 2);
  const t3 = concat(m1, h2, pR, h3);
  const dI = field(initiator.document);
  const sigMessageI = sha256(concat(t3, dI));
  const sigI = await initiator.signer.sign("meteor/session/v1/initiator", sigMessageI);
  const sI = field(sigI);
  const finInputI = sha256(concat(t3, dI, sI));
  const finI = hmacSha256(fkI, finInputI);
  const pI = concat(dI, sI, finI);
  const th = sha256(concat(t3, pI));
  const ms = derive(hs, "master", th);
  const ctx = concat(initiator.meteorId, responder.meteorId);
  const root0 = derive(ms, "root", ctx);
  const chains = chainKeys(root0, ctx);
  return {
    name: "initiator seed 00..1f, responder seed 20..3f",
    initiatorSeed: hex(SEEDS.initiator),
    responderSeed: hex(SEEDS.responder),
    initiatorDocument: hex(initiator.document),
    responderDocument: hex(responder.document),
    now: NOW,
    expectedId: hex(responder.meteorId),
    eskI: hex(r.eskI),
    nonceI: hex(r.nonceI),
    eseed: hex(r.eseed),
    nonceR: hex(r.nonceR),
    protocol: PROTOCOL_NAME,
    salt0: hex(sha256(utf8(PROTOCOL_NAME))),
    epkI: hex(epkI),
    m1: hex(m1),
    ss: hex(ss),
    ct: hex(ct),
    h2: hex(h2),
    th2: hex(th2),
    hs: hex(hs),
    kR: hex(kR),
    fkR: hex(fkR),
    kI: hex(kI),
    fkI: hex(fkI),
    sigMessageR: hex(sigMessageR),
    signedBytesR: hex(hybridSignedBytes("meteor/session/v1/responder", sigMessageR)),
    sigR: hex(sigR),
    finInputR: hex(finInputR),
    finR: hex(finR),
    pR: hex(pR),
    m2: hex(m2),
    h3: hex(h3),
    sigMessageI: hex(sigMessageI),
    signedBytesI: hex(hybridSignedBytes("meteor/session/v1/initiator", sigMessageI)),
    sigI: hex(sigI),
    finInputI: hex(finInputI),
    finI: hex(finI),
    pI: hex(pI),
    m3: hex(m3),
    th: hex(th),
    ms: hex(ms),
    ctx: hex(ctx),
    root0: hex(root0),
    ckIR: hex(chains.i2r),
    ckRI: hex(chains.r2i),
  };
}

type Side = "initiator" | "responder";

/** One step of the session script: who sends what. */
type Step =
  | { from: Side; data: Uint8Array; record?: DirectRecord | null }
  | { from: "initiator"; rekey: true };

/** The session script of the vector: data both ways, an empty frame, a rekey. */
export const SESSION_SCRIPT: Step[] = [
  {
    from: "initiator",
    data: encodeRecord({ type: "message", id: "m-1", sentAt: ISSUED_AT, text: "hello, Meteor" }),
  },
  { from: "responder", data: encodeRecord({ type: "ack", id: "m-1" }) },
  { from: "initiator", data: new Uint8Array(0) },
  { from: "initiator", rekey: true },
  {
    from: "responder",
    data: encodeRecord({ type: "message", id: "m-2", sentAt: NOW, text: "après rekey ✓" }),
  },
  { from: "initiator", data: encodeRecord({ type: "ack", id: "m-2" }) },
];

/**
 * Runs {@link SESSION_SCRIPT} on two project Sessions over `results`; every
 * frame in wire order, with what the receiver returned. The responder answers
 * a rekey request as it receives it; the initiator receives in order.
 */
export async function runSession(iResult: HandshakeResult, rResult: HandshakeResult) {
  const wire: { from: Side; frame: Uint8Array; received?: Uint8Array | null }[] = [];
  const options = (random: RandomBytes) => ({ now: () => NOW, random });
  const sessions = {
    initiator: new Session(
      iResult,
      (frame) => wire.push({ from: "initiator", frame }),
      options(queued(REKEY_RANDOM.seed)),
    ),
    responder: new Session(
      rResult,
      (frame) => wire.push({ from: "responder", frame }),
      options(queued(REKEY_RANDOM.eseed)),
    ),
  };
  const other = (side: Side) => side === "initiator" ? sessions.responder : sessions.initiator;
  let delivered = 0;
  const deliver = async () => {
    while (delivered < wire.length) {
      const entry = wire[delivered++];
      entry.received = await other(entry.from).receive(entry.frame);
    }
  };
  for (const step of SESSION_SCRIPT) {
    if ("rekey" in step) await sessions.initiator.rekey();
    else sessions[step.from].send(step.data);
    await deliver();
  }
  sessions.initiator.close();
  sessions.responder.close();
  return wire;
}

async function sessionVector() {
  const { iResult, rResult } = await runHandshake();
  const root0 = iResult.root.slice();
  const ctx = iResult.context.slice();
  const chains0 = chainKeys(root0, ctx);
  const chains: Record<Side, Uint8Array> = {
    initiator: chains0.i2r.slice(),
    responder: chains0.r2i.slice(),
  };
  const wire = await runSession(iResult, rResult);
  // Rekey keys (§6), computed from the spec's formulas.
  const epk = await xwingPublicKey(REKEY_RANDOM.seed);
  const { sharedSecret, ciphertext } = await xwingEncapsulate(epk, REKEY_RANDOM.eseed);
  const root1 = rekeyRoot(sharedSecret, root0, 1, epk, ciphertext);
  const next = chainKeys(root1, ctx);
  const epochOf = { initiator: 0, responder: 0 };
  const seqOf = { initiator: 0, responder: 0 };
  const frames = wire.map(({ from, frame, received }) => {
    const view = new DataView(frame.buffer, frame.byteOffset);
    const epoch = view.getUint32(2);
    const seq = Number(view.getBigUint64(6));
    if (epoch !== epochOf[from]) {
      epochOf[from] = epoch;
      chains[from] = from === "initiator" ? next.i2r.slice() : next.r2i.slice();
    }
    if (seq !== seqOf[from]++) throw new Error("vector frames out of order");
    const step = ratchetStep(chains[from]);
    const chainKey = chains[from];
    chains[from] = step.next;
    const kind = received === null ? (from === "initiator" ? 0x02 : 0x03) : 0x01;
    const body = kind === 0x02 ? epk : kind === 0x03 ? ciphertext : received!;
    return {
      from,
      epoch,
      seq,
      kind,
      body: hex(body),
      chainKey: hex(chainKey),
      messageKey: hex(step.messageKey),
      nextChainKey: hex(step.next),
      header: hex(frame.subarray(0, 14)),
      nonce: hex(frame.subarray(2, 14)),
      frame: hex(frame),
    };
  });
  return {
    name: "the handshake vector's session: data both ways, an empty data frame, one rekey",
    handshake: "handshake.json vector 0",
    ctx: hex(ctx),
    root0: hex(root0),
    ckIR: hex(chains0.i2r),
    ckRI: hex(chains0.r2i),
    rekeySeed: hex(REKEY_RANDOM.seed),
    rekeyEseed: hex(REKEY_RANDOM.eseed),
    rekeyPublicKey: hex(epk),
    rekeyCiphertext: hex(ciphertext),
    rekeySharedSecret: hex(sharedSecret),
    root1: hex(root1),
    ckIR1: hex(next.i2r),
    ckRI1: hex(next.r2i),
    frames,
  };
}

/** Every vector file's contents. */
export async function buildVectors(): Promise<VectorFiles> {
  return {
    identity: {
      about: "node seed to key seeds, public keys, key bundle, MeteorID and PeerId",
      spec: "docs/identity.md §2, §3, §7",
      vectors: [
        await identityVector("seed 00..1f", SEEDS.initiator),
        await identityVector("seed 20..3f", SEEDS.responder),
        await identityVector("seed all zero", SEEDS.zero),
        await identityVector("seed all ff", SEEDS.ones),
      ],
    },
    document: {
      about: "signed identity documents byte for byte (deterministic ML-DSA-65), and invalid ones",
      spec: "docs/identity.md §4, §7",
      vectors: await documentVectors(),
    },
    handshake: {
      about: "a full session handshake with fixed randomness: every message and key",
      spec: "docs/protocol.md §3, §11",
      vectors: [await handshakeVector()],
    },
    session: {
      about: "session frames after the handshake vector: data, ack, empty data, rekey",
      spec: "docs/protocol.md §4-§7, §11",
      vectors: [await sessionVector()],
    },
    records: {
      about:
        "direct-message records byte for byte (message, ack, acks, plugin), and malformed ones",
      spec: "docs/protocol.md §7, §11",
      vectors: recordVectors(),
    },
  };
}
