/**
 * The session handshake of docs/protocol.md §3: SIGMA-I in TLS 1.3's shape
 * with an ephemeral X-Wing KEM exchange and hybrid ML-DSA-65 + Ed25519
 * signatures. Three messages, pure functions on bytes; no networking here.
 *
 * ```
 * initiator                                    responder
 * initiate()            -- M1 (epk_i) -->
 *                       <-- M2 (ct, {doc_r, sig_r, fin_r}) --  respond()
 * finishInitiator()     -- M3 ({doc_i, sig_i, fin_i}) -->
 *                                                finishResponder()
 * ```
 *
 * @module
 */
import { concat, constantTimeEqual, wipe } from "../../../core/bytes.ts";
import { open, seal } from "../../../core/crypto/aead.ts";
import { hmacSha256, sha256 } from "../../../core/crypto/hash.ts";
import {
  HYBRID_SIGNATURE_LENGTH,
  type HybridSigner,
  hybridVerify,
  type SigningPublicKeys,
} from "../../../core/crypto/sign.ts";
import {
  checkXWingPublicKey,
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingPublicKey,
} from "../../../core/crypto/xwing.ts";
import { isMeteorError, MeteorError } from "../../../core/errors.ts";
import { field, Reader } from "./_codec.ts";
import { type ChainKeys, chainKeys, derive, handshakeSecret } from "./_kdf.ts";

/** The protocol version byte of every handshake message and frame (§3). */
export const SESSION_VERSION = 0x01;
/** The largest identity document carried in a handshake (§3). */
export const MAX_DOCUMENT_LENGTH = 16 * 1024;
/** Length of message 1 (§3.1). */
export const MESSAGE1_LENGTH: number = 2 + 32 + XWING_PUBLIC_KEY_LENGTH;
/** The largest handshake message (§9): message 2 with the largest document. */
export const MAX_HANDSHAKE_MESSAGE_LENGTH: number = 2 + 32 + XWING_CIPHERTEXT_LENGTH + 2 +
  MAX_DOCUMENT_LENGTH + 2 + HYBRID_SIGNATURE_LENGTH + 32 + 16;

const TYPE_M1 = 0x01;
const TYPE_M2 = 0x02;
const TYPE_M3 = 0x03;
const NONCE_LENGTH = 32;
const FINISHED_LENGTH = 32;
const Z12 = new Uint8Array(12);
const H2_LENGTH = 2 + NONCE_LENGTH + XWING_CIPHERTEXT_LENGTH;
const H3 = new Uint8Array([SESSION_VERSION, TYPE_M3]);
/** The hybrid signature label of the responder's handshake payload (§3.2). */
export const CONTEXT_RESPONDER = "meteor/session/v1/responder";
/** The hybrid signature label of the initiator's handshake payload (§3.3). */
export const CONTEXT_INITIATOR = "meteor/session/v1/initiator";

/** What the handshake needs from the local node. */
export interface LocalIdentity {
  /** This node's MeteorID, 32 bytes. */
  meteorId: Uint8Array;
  /** This node's encoded identity document, at most {@link MAX_DOCUMENT_LENGTH} bytes. */
  document: Uint8Array;
  /** Signs for this node's identity (its keys stay with the signer). */
  signer: HybridSigner;
}

/** A peer as its verified identity document describes it. */
export interface PeerIdentity {
  /** The MeteorID its keys hash to, 32 bytes. */
  meteorId: Uint8Array;
  /** Its hybrid signing public keys. */
  signingKeys: SigningPublicKeys;
  /** The libp2p PeerId its document names. */
  peerId: string;
  /** The multiaddrs its document lists. */
  addresses: string[];
  /** The encoded document itself. */
  document: Uint8Array;
}

/**
 * Verifies an encoded identity document (signatures, expiry, ID) and
 * describes the peer; throws a MeteorError when it does not verify.
 */
export type VerifyDocument = (document: Uint8Array) => Promise<PeerIdentity>;

/** Randomness source; tests pass a deterministic one. */
export type RandomBytes = (length: number) => Uint8Array;

/** What a finished handshake yields: keys for a {@link Session}. The session owns and wipes them. */
export interface HandshakeResult {
  /** Which side this is. */
  role: "initiator" | "responder";
  /** This node's MeteorID. */
  localId: Uint8Array;
  /** The authenticated peer. */
  peer: PeerIdentity;
  /** th = H(whole transcript) (§3.4), identical on both sides. */
  transcriptHash: Uint8Array;
  /** id_i || id_r (§3.4). */
  context: Uint8Array;
  /** root0 (§3.4). */
  root: Uint8Array;
  /** The epoch-0 chain keys (§3.4). */
  chains: ChainKeys;
}

/** The initiator's state between message 1 and message 2. */
export interface InitiatorState {
  /** Message 1, sent to the responder. */
  readonly message1: Uint8Array;
  /** The ephemeral X-Wing seed; wiped by {@link finishInitiator}. */
  readonly ephemeralSeed: Uint8Array;
}

/** The responder's state between message 2 and message 3. */
export interface ResponderState {
  /** Message 2, sent to the initiator. */
  readonly message2: Uint8Array;
  /** M1 || H2 || P_r: the transcript so far. */
  readonly transcript: Uint8Array;
  /** The handshake secret HS; wiped by {@link finishResponder}. */
  readonly secret: Uint8Array;
  /** th2, the context of the handshake keys. */
  readonly th2: Uint8Array;
  /** The responder's MeteorID. */
  readonly localId: Uint8Array;
}

const defaultRandom: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

function failed(cause?: unknown): MeteorError {
  return new MeteorError("E_HANDSHAKE", "Cannot complete handshake: invalid message", { cause });
}

/** Runs `step` on peer input, turning any failure into one E_HANDSHAKE (§3.5). */
async function guarded<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isMeteorError(err, "E_HANDSHAKE")) throw err;
    throw failed();
  }
}

/** Builds P = field(doc) || field(sig) || fin over `prefix` (§3.2, §3.3). */
async function buildPayload(
  prefix: Uint8Array,
  local: LocalIdentity,
  context: string,
  finishedKey: Uint8Array,
): Promise<Uint8Array> {
  if (local.document.length > MAX_DOCUMENT_LENGTH) {
    throw new RangeError(`document must be at most ${MAX_DOCUMENT_LENGTH} bytes`);
  }
  const docField = field(local.document);
  const signature = await local.signer.sign(context, sha256(concat(prefix, docField)));
  const sigField = field(signature);
  const finished = hmacSha256(finishedKey, sha256(concat(prefix, docField, sigField)));
  return concat(docField, sigField, finished);
}

/** Opens and checks P sealed over `prefix`; returns the peer and the plaintext P (§3.3). */
async function checkPayload(
  prefix: Uint8Array,
  key: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
  context: string,
  finishedKey: Uint8Array,
  verify: VerifyDocument,
): Promise<{ peer: PeerIdentity; payload: Uint8Array }> {
  const payload = open(key, Z12, sealed, aad);
  const reader = new Reader(payload);
  const document = reader.field(MAX_DOCUMENT_LENGTH);
  const signature = reader.field(HYBRID_SIGNATURE_LENGTH);
  const finished = reader.take(FINISHED_LENGTH);
  if (document === null || signature === null || finished === null || !reader.done) {
    throw failed();
  }
  const peer = await verify(document.slice());
  const docField = field(document);
  await hybridVerify(peer.signingKeys, context, sha256(concat(prefix, docField)), signature);
  const expected = hmacSha256(finishedKey, sha256(concat(prefix, docField, field(signature))));
  if (!constantTimeEqual(expected, finished)) throw failed();
  return { peer, payload };
}

/** §3.4: the session keys from HS, the full transcript and both MeteorIDs. */
function sessionKeys(
  secret: Uint8Array,
  transcript: Uint8Array,
  initiatorId: Uint8Array,
  responderId: Uint8Array,
): { transcriptHash: Uint8Array; context: Uint8Array; root: Uint8Array; chains: ChainKeys } {
  const transcriptHash = sha256(transcript);
  const context = concat(initiatorId, responderId);
  const master = derive(secret, "master", transcriptHash);
  try {
    const root = derive(master, "root", context);
    return { transcriptHash, context, root, chains: chainKeys(root, context) };
  } finally {
    wipe(master);
  }
}

/**
 * Starts a handshake as the initiator: a fresh ephemeral X-Wing key and
 * message 1 (§3.1).
 *
 * @example
 * ```ts
 * import { initiate } from "./handshake.ts";
 * const state = await initiate();
 * state.message1.length; // 1250
 * ```
 */
export async function initiate(random: RandomBytes = defaultRandom): Promise<InitiatorState> {
  const ephemeralSeed = random(32);
  const publicKey = await xwingPublicKey(ephemeralSeed);
  const message1 = concat(
    new Uint8Array([SESSION_VERSION, TYPE_M1]),
    random(NONCE_LENGTH),
    publicKey,
  );
  return { message1, ephemeralSeed };
}

/**
 * Answers message 1 as the responder: encapsulates to the initiator's
 * ephemeral key and returns message 2 with this node's signed document (§3.2).
 *
 * @throws {MeteorError} E_HANDSHAKE when message 1 is malformed
 */
export async function respond(
  local: LocalIdentity,
  message1: Uint8Array,
  random: RandomBytes = defaultRandom,
): Promise<ResponderState> {
  const m1 = message1.slice();
  const publicKey = await guarded(() => {
    if (m1.length !== MESSAGE1_LENGTH || m1[0] !== SESSION_VERSION || m1[1] !== TYPE_M1) {
      throw failed();
    }
    const key = m1.subarray(2 + NONCE_LENGTH);
    checkXWingPublicKey(key);
    return Promise.resolve(key);
  });
  const { sharedSecret, ciphertext } = await guarded(() => xwingEncapsulate(publicKey, random(64)));
  const h2 = concat(new Uint8Array([SESSION_VERSION, TYPE_M2]), random(NONCE_LENGTH), ciphertext);
  const th2 = sha256(concat(m1, h2));
  const secret = handshakeSecret(sharedSecret, th2);
  const key = derive(secret, "r hs key", th2);
  const finishedKey = derive(secret, "r finished", th2);
  try {
    const prefix = concat(m1, h2);
    const payload = await buildPayload(prefix, local, CONTEXT_RESPONDER, finishedKey);
    const message2 = concat(h2, seal(key, Z12, payload, h2));
    return {
      message2,
      transcript: concat(prefix, payload),
      secret,
      th2,
      localId: local.meteorId.slice(),
    };
  } finally {
    wipe(sharedSecret, key, finishedKey);
  }
}

/**
 * Processes message 2 as the initiator and returns message 3 and the session
 * keys (§3.3, §3.4). When `expectedId` is given, a responder with another
 * MeteorID is refused even if its handshake is valid.
 *
 * @throws {MeteorError} E_HANDSHAKE for any invalid message 2, E_ID_MISMATCH
 *   for a valid responder that is not `expectedId`
 */
export async function finishInitiator(
  state: InitiatorState,
  local: LocalIdentity,
  message2: Uint8Array,
  verify: VerifyDocument,
  expectedId?: Uint8Array,
): Promise<{ message3: Uint8Array; result: HandshakeResult }> {
  const m2 = message2.slice();
  let secret: Uint8Array | undefined;
  let keys: Uint8Array[] = [];
  try {
    const { peer, payload, th2 } = await guarded(async () => {
      if (m2.length < H2_LENGTH || m2[0] !== SESSION_VERSION || m2[1] !== TYPE_M2) throw failed();
      if (m2.length > MAX_HANDSHAKE_MESSAGE_LENGTH) throw failed();
      const h2 = m2.subarray(0, H2_LENGTH);
      const ciphertext = h2.subarray(2 + NONCE_LENGTH);
      const sharedSecret = await xwingDecapsulate(state.ephemeralSeed, ciphertext);
      const th2 = sha256(concat(state.message1, h2));
      secret = handshakeSecret(sharedSecret, th2);
      wipe(sharedSecret);
      keys = [derive(secret, "r hs key", th2), derive(secret, "r finished", th2)];
      const checked = await checkPayload(
        concat(state.message1, h2),
        keys[0],
        m2.subarray(H2_LENGTH),
        h2,
        CONTEXT_RESPONDER,
        keys[1],
        verify,
      );
      return { ...checked, th2 };
    });
    if (expectedId !== undefined && !constantTimeEqual(peer.meteorId, expectedId)) {
      throw new MeteorError(
        "E_ID_MISMATCH",
        "Cannot complete handshake: the peer is not the expected MeteorID",
      );
    }
    const handshakeKey = derive(secret!, "i hs key", th2);
    const finishedKey = derive(secret!, "i finished", th2);
    keys.push(handshakeKey, finishedKey);
    const t3 = concat(state.message1, m2.subarray(0, H2_LENGTH), payload, H3);
    const payloadI = await buildPayload(t3, local, CONTEXT_INITIATOR, finishedKey);
    const message3 = concat(H3, seal(handshakeKey, Z12, payloadI, H3));
    const derived = sessionKeys(secret!, concat(t3, payloadI), local.meteorId, peer.meteorId);
    return {
      message3,
      result: { role: "initiator", localId: local.meteorId.slice(), peer, ...derived },
    };
  } finally {
    wipe(state.ephemeralSeed, secret, ...keys);
  }
}

/**
 * Processes message 3 as the responder and returns the session keys
 * (§3.3, §3.4). The caller decides whether it talks to this peer (§8).
 *
 * @throws {MeteorError} E_HANDSHAKE for any invalid message 3
 */
export async function finishResponder(
  state: ResponderState,
  message3: Uint8Array,
  verify: VerifyDocument,
): Promise<HandshakeResult> {
  const m3 = message3.slice();
  const handshakeKey = derive(state.secret, "i hs key", state.th2);
  const finishedKey = derive(state.secret, "i finished", state.th2);
  try {
    return await guarded(async () => {
      if (m3.length < 2 || m3[0] !== SESSION_VERSION || m3[1] !== TYPE_M3) throw failed();
      if (m3.length > MAX_HANDSHAKE_MESSAGE_LENGTH) throw failed();
      const t3 = concat(state.transcript, H3);
      const { peer, payload } = await checkPayload(
        t3,
        handshakeKey,
        m3.subarray(2),
        H3,
        CONTEXT_INITIATOR,
        finishedKey,
        verify,
      );
      const derived = sessionKeys(
        state.secret,
        concat(t3, payload),
        peer.meteorId,
        state.localId,
      );
      return { role: "responder" as const, localId: state.localId.slice(), peer, ...derived };
    });
  } finally {
    wipe(state.secret, handshakeKey, finishedKey);
  }
}
