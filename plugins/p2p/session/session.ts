/**
 * An established session (docs/protocol.md §4-§6): per-direction KDF chains
 * that derive one key per frame and delete it, strictly ordered frames sealed
 * with ChaCha20-Poly1305, and in-band rekeying with a fresh X-Wing exchange.
 *
 * Outgoing frames go to the `transmit` callback in the order of their
 * sequence numbers whatever the caller does between awaits: synchronously, at
 * the moment the number is assigned, except behind a batch whose frames a
 * batch engine is still sealing ({@link Session.sendBatch}), whose frames and
 * every frame sealed after it wait and follow it in order.
 *
 * @module
 */
import { wipe } from "../../../core/bytes.ts";
import { open, sealInto } from "../../../core/crypto/aead.ts";
import type { AeadJob } from "../../../core/crypto/batch_types.ts";
import {
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingPublicKey,
} from "../../../core/crypto/xwing.ts";
import { type ErrorCode, isMeteorError, MeteorError } from "../../../core/errors.ts";
import { readSeq, writeEpochSeq } from "./_codec.ts";
import { chainKeys, ratchetStep, rekeyRoot } from "./_kdf.ts";
import {
  type HandshakeResult,
  type PeerIdentity,
  type RandomBytes,
  SESSION_VERSION,
} from "./handshake.ts";

/** The largest application payload of one frame (§5). */
export const MAX_DATA_LENGTH = 65_536;
/** The largest frame on the wire, handshake messages included (§2). */
export const MAX_FRAME_LENGTH = 70_000;
/** Frame header length: version, type, u32 epoch, u64 seq (§5). */
export const FRAME_HEADER_LENGTH = 14;
/** Frames sent plus received in one epoch before the initiator rekeys (§6). */
export const REKEY_AFTER_MESSAGES = 1000;
/** Milliseconds in one epoch before the initiator rekeys (§6). */
export const REKEY_AFTER_MS = 10 * 60 * 1000;

const TYPE_FRAME = 0x10;
const KIND_DATA = 0x01;
const KIND_REKEY_REQUEST = 0x02;
const KIND_REKEY_RESPONSE = 0x03;
const TAG_LENGTH = 16;
const MIN_FRAME_LENGTH = FRAME_HEADER_LENGTH + 1 + TAG_LENGTH;

/**
 * Seals a batch of frames in one call, when that is faster than one native
 * call per frame: the node's cipher component (core/crypto/node_cipher.ts).
 */
export interface FrameSealer {
  /** Whether one batch call beats per-call native for `jobs` jobs of about `jobBytes` bytes. */
  batchWins(jobs: number, jobBytes: number): boolean;
  /** Seals every job (RFC 8439 §2.8); result i is job i's ciphertext || tag. */
  sealBatch(jobs: readonly AeadJob[]): Promise<Uint8Array[]>;
}

/** Options of a {@link Session}. */
export interface SessionOptions {
  /**
   * Where the frames of one {@link Session.sendBatch} go, together (one
   * write on the stream); default: `transmit`, frame by frame.
   */
  transmitBatch?: (frames: readonly Uint8Array[]) => void;
  /** Seals {@link Session.sendBatch}'s frames in one call when it says so; default: per call. */
  sealer?: FrameSealer;
  /** §6 message threshold; default {@link REKEY_AFTER_MESSAGES}. */
  rekeyAfterMessages?: number;
  /** §6 time threshold in ms; default {@link REKEY_AFTER_MS}. */
  rekeyAfterMs?: number;
  /** The clock; default Date.now. */
  now?: () => number;
  /** Randomness for rekeying; default crypto.getRandomValues. */
  random?: RandomBytes;
}

/** Counters of a session. */
export interface SessionStats {
  /** Frames sealed (data and control). */
  framesOut: number;
  /** Of those, frames sealed by the sealer's batch calls (data only). */
  framesBatched: number;
  /** Frames accepted. */
  framesIn: number;
  /** Rekeys completed. */
  rekeys: number;
  /** Frames rejected, by error code. */
  rejected: Partial<Record<ErrorCode, number>>;
}

interface Direction {
  epoch: number;
  seq: number;
  chain: Uint8Array;
}

function malformed(state: string): MeteorError {
  return new MeteorError("E_MALFORMED", `Cannot open frame: ${state}`);
}

/**
 * A session after a successful handshake.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import type { HandshakeResult } from "./handshake.ts";
 * declare const result: HandshakeResult; // from finishInitiator() or finishResponder()
 * const frames: Uint8Array[] = [];
 * const session = new Session(result, (frame) => frames.push(frame));
 * session.send(new TextEncoder().encode("hello"));
 * ```
 */
export class Session {
  /** "initiator" or "responder". */
  readonly role: "initiator" | "responder";
  /** This node's MeteorID. */
  readonly localId: Uint8Array;
  /** The authenticated peer. */
  readonly peer: PeerIdentity;
  /** The handshake transcript hash, identical on both sides. */
  readonly transcriptHash: Uint8Array;
  /** Counters. */
  readonly stats: SessionStats = {
    framesOut: 0,
    framesBatched: 0,
    framesIn: 0,
    rekeys: 0,
    rejected: {},
  };

  readonly #transmit: (frame: Uint8Array) => void;
  readonly #transmitBatch: (frames: readonly Uint8Array[]) => void;
  readonly #sealer: FrameSealer | undefined;
  /**
   * Frames waiting for a batch still being sealed, in seq order; null when
   * none is, and frames go out at once.
   */
  #backlog: (Uint8Array[] | Promise<Uint8Array[]>)[] | null = null;
  /** Resolves when the backlog is transmitted. */
  #drained: Promise<void> | null = null;
  readonly #context: Uint8Array;
  readonly #rekeyAfterMessages: number;
  readonly #rekeyAfterMs: number;
  readonly #now: () => number;
  readonly #random: RandomBytes;
  #root: Uint8Array;
  #send: Direction;
  #recv: Direction;
  /** Responder: the epoch e+1 receive chain, until the first e+1 frame (§6 step 2). */
  #nextRecv: Uint8Array | null = null;
  /** Initiator: the X-Wing seed and public key of a rekey in flight (§6 step 1). */
  #pending: { seed: Uint8Array; publicKey: Uint8Array } | null = null;
  #epochMessages = 0;
  #epochStart: number;
  #receiving: Promise<unknown> = Promise.resolve();
  /** Frames and control work queued in {@link receive} and not finished yet. */
  #queued = 0;
  #closed = false;

  /** Takes ownership of the handshake's keys; frames go to `transmit`. */
  constructor(
    result: HandshakeResult,
    transmit: (frame: Uint8Array) => void,
    options: SessionOptions = {},
  ) {
    this.role = result.role;
    this.localId = result.localId;
    this.peer = result.peer;
    this.transcriptHash = result.transcriptHash;
    this.#context = result.context;
    this.#root = result.root;
    const initiator = result.role === "initiator";
    this.#send = { epoch: 0, seq: 0, chain: initiator ? result.chains.i2r : result.chains.r2i };
    this.#recv = { epoch: 0, seq: 0, chain: initiator ? result.chains.r2i : result.chains.i2r };
    this.#transmit = transmit;
    this.#transmitBatch = options.transmitBatch ?? ((frames) => frames.forEach(transmit));
    this.#sealer = options.sealer;
    this.#rekeyAfterMessages = options.rekeyAfterMessages ?? REKEY_AFTER_MESSAGES;
    this.#rekeyAfterMs = options.rekeyAfterMs ?? REKEY_AFTER_MS;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ??
      ((length) => crypto.getRandomValues(new Uint8Array(length)));
    this.#epochStart = this.#now();
  }

  /** The current sending epoch (incremented by each rekey). */
  get epoch(): number {
    return this.#send.epoch;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Seals `data` (at most {@link MAX_DATA_LENGTH} bytes) into the next frame
   * and transmits it.
   */
  send(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    if (data.length > MAX_DATA_LENGTH) {
      throw new RangeError(`data must be at most ${MAX_DATA_LENGTH} bytes`);
    }
    this.#sealAndTransmit(KIND_DATA, data);
  }

  /**
   * Seals every item of `data` (each at most {@link MAX_DATA_LENGTH} bytes)
   * into consecutive data frames, exactly the frames as many {@link send}
   * calls make, and transmits them together. Their sequence numbers are
   * taken now; the sealer seals them in one batch call when it says that
   * beats per-call native for that many frames of that size, and the
   * frames sent meanwhile follow them on the wire. Resolves once they are
   * transmitted; a failed batch call closes the session (its numbers are
   * spent) and rejects.
   */
  sendBatch(data: readonly Uint8Array[]): Promise<void> {
    for (const item of data) {
      if (!(item instanceof Uint8Array)) throw new TypeError("data must be Uint8Arrays");
      if (item.length > MAX_DATA_LENGTH) {
        throw new RangeError(`data must be at most ${MAX_DATA_LENGTH} bytes`);
      }
    }
    this.#checkOpen();
    if (data.length === 0) return Promise.resolve();
    const bytes = data.reduce((n, item) => n + item.length, 0) / data.length;
    if (this.#sealer === undefined || !this.#sealer.batchWins(data.length, 1 + bytes)) {
      return this.#emit(data.map((item) => this.#sealFrame(KIND_DATA, item)));
    }
    const sealer = this.#sealer;
    const reserved = data.map((item) => this.#reserveFrame(KIND_DATA, item));
    this.stats.framesBatched += reserved.length;
    const jobs = reserved.map((r) => r.job);
    const sealed = sealer.sealBatch(jobs).then((out) => {
      // Each result must be exactly job i's ciphertext || tag before it goes anywhere.
      if (out.length !== jobs.length) throw new RangeError("sealBatch returned a wrong count");
      return reserved.map(({ frame }, i) => {
        if (out[i].length !== frame.length - FRAME_HEADER_LENGTH) {
          throw new RangeError("sealBatch returned a wrong length");
        }
        frame.set(out[i], FRAME_HEADER_LENGTH);
        return frame;
      });
    }).finally(() => {
      for (const { job } of reserved) wipe(job.key, job.data);
    });
    return this.#emit(sealed).catch((err) => {
      this.close();
      throw err;
    });
  }

  /**
   * Opens one frame. Resolves to the application data, or to null for a
   * control frame (rekey), which it handles. Calls are processed one at a
   * time in call order. A rejected frame changes no key.
   *
   * @throws {MeteorError} E_MALFORMED, E_REPLAY or E_DECRYPT_FAILED (§5)
   */
  receive(frame: Uint8Array): Promise<Uint8Array | null> {
    if (this.#queued > 0) return this.#enqueue(frame.slice());
    // Nothing waits before it: the frame is opened now, without a copy (it is
    // read before this returns), and only a control frame waits for its work.
    try {
      this.#checkOpen();
      const inner = this.#counted(() => this.#openFrame(frame));
      if (inner[0] === KIND_DATA) return Promise.resolve(inner.subarray(1));
      return this.#enqueue(inner, true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Queues a frame behind the frames and control work already queued; with
   * `opened`, `bytes` is the frame's opened inner bytes (§5 checks 1-3 done).
   */
  #enqueue(bytes: Uint8Array, opened = false): Promise<Uint8Array | null> {
    this.#queued++;
    const run = this.#receiving.then(() => this.#receive(bytes, opened));
    this.#receiving = run.catch(() => {}).finally(() => this.#queued--);
    return run;
  }

  /** Whether the initiator should rekey now (§6); always false for the responder. */
  rekeyDue(): boolean {
    if (this.role !== "initiator" || this.#pending !== null || this.#closed) return false;
    return this.#epochMessages >= this.#rekeyAfterMessages ||
      this.#now() - this.#epochStart >= this.#rekeyAfterMs;
  }

  /**
   * Starts a rekey (initiator only, §6 step 1): transmits a request with a
   * fresh X-Wing public key. Does nothing while one is in flight.
   */
  async rekey(): Promise<void> {
    if (this.role !== "initiator") throw new TypeError("only the initiator starts a rekey");
    if (this.#pending !== null) return;
    const seed = this.#random(32);
    const publicKey = await xwingPublicKey(seed);
    if (this.#pending !== null || this.#closed) {
      wipe(seed);
      return;
    }
    this.#pending = { seed, publicKey };
    this.#sealAndTransmit(KIND_REKEY_REQUEST, publicKey);
  }

  /** Wipes every key; later calls throw. */
  close(): void {
    this.#closed = true;
    wipe(this.#root, this.#send.chain, this.#recv.chain, this.#nextRecv ?? undefined);
    wipe(this.#pending?.seed);
    this.#nextRecv = null;
    this.#pending = null;
  }

  #checkOpen(): void {
    if (this.#closed) throw new MeteorError("E_UNREACHABLE", "Cannot use session: it is closed");
  }

  #sealAndTransmit(kind: number, body: Uint8Array): void {
    const frame = this.#sealFrame(kind, body);
    if (this.#backlog === null) this.#transmit(frame);
    else this.#backlog.push([frame]);
  }

  /**
   * Takes the next seq and message key for `kind || body` and advances the
   * send chain: the frame's header is written, its ciphertext still to come.
   * The job's key and data are the caller's to wipe.
   */
  #reserveFrame(kind: number, body: Uint8Array): { frame: Uint8Array; job: AeadJob } {
    this.#checkOpen();
    const { epoch, seq, chain } = this.#send;
    // One array for the whole frame: header || ChaCha20-Poly1305(kind || body) || tag.
    const frame = new Uint8Array(FRAME_HEADER_LENGTH + 1 + body.length + TAG_LENGTH);
    frame[0] = SESSION_VERSION;
    frame[1] = TYPE_FRAME;
    writeEpochSeq(frame, 2, epoch, seq);
    const header = frame.subarray(0, FRAME_HEADER_LENGTH);
    const { messageKey, next } = ratchetStep(chain);
    const inner = new Uint8Array(1 + body.length);
    inner[0] = kind;
    inner.set(body, 1);
    wipe(chain);
    this.#send = { epoch, seq: seq + 1, chain: next };
    this.stats.framesOut++;
    this.#epochMessages++;
    // §5: the nonce is u32(epoch) || u64(seq), which is header bytes 2 to 14.
    return { frame, job: { key: messageKey, nonce: header.subarray(2), data: inner, aad: header } };
  }

  /** The next frame of `kind || body`, sealed now with native ChaCha20-Poly1305. */
  #sealFrame(kind: number, body: Uint8Array): Uint8Array {
    const { frame, job } = this.#reserveFrame(kind, body);
    try {
      sealInto(frame.subarray(FRAME_HEADER_LENGTH), job.key, job.nonce, job.data, job.aad);
      return frame;
    } finally {
      wipe(job.key, job.data);
    }
  }

  /**
   * Transmits `frames` together, now, or after the batches still being
   * sealed; resolves once they went out.
   */
  #emit(frames: Uint8Array[] | Promise<Uint8Array[]>): Promise<void> {
    if (this.#backlog === null && Array.isArray(frames)) {
      this.#transmitBatch(frames);
      return Promise.resolve();
    }
    if (this.#backlog !== null) {
      this.#backlog.push(frames);
      return this.#drained!;
    }
    this.#backlog = [frames];
    this.#drained = this.#drainBacklog();
    return this.#drained;
  }

  /** Transmits the backlog in order as its batches are sealed; a failed batch drops the rest. */
  async #drainBacklog(): Promise<void> {
    const backlog = this.#backlog!;
    try {
      while (backlog.length > 0) {
        const frames = await backlog[0];
        backlog.shift();
        if (!this.#closed) this.#transmitBatch(frames);
      }
    } finally {
      this.#backlog = null;
      this.#drained = null;
    }
  }

  /** Counts a rejected frame under its code (§8) and rethrows. */
  #counted<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      this.#reject(err);
      throw err;
    }
  }

  #reject(err: unknown): void {
    if (isMeteorError(err)) {
      this.stats.rejected[err.code] = (this.stats.rejected[err.code] ?? 0) + 1;
    }
  }

  async #receive(bytes: Uint8Array, opened: boolean): Promise<Uint8Array | null> {
    if (this.#closed && opened) wipe(bytes);
    this.#checkOpen();
    try {
      const inner = opened ? bytes : this.#openFrame(bytes);
      try {
        return await this.#dispatch(inner);
      } finally {
        wipe(inner);
      }
    } catch (err) {
      this.#reject(err);
      throw err;
    }
  }

  /** §5 checks 1-3; on success advances the receive chain and returns `inner`. */
  #openFrame(frame: Uint8Array): Uint8Array {
    if (frame.length < MIN_FRAME_LENGTH || frame.length > MAX_FRAME_LENGTH) {
      throw malformed("bad length");
    }
    if (frame[0] !== SESSION_VERSION || frame[1] !== TYPE_FRAME) throw malformed("bad header");
    const epoch = new DataView(frame.buffer, frame.byteOffset, 6).getUint32(2);
    // Exact below 2^53; any seq above rounds to 2^53 or more, which no counter reaches.
    const seq = readSeq(frame, 6);
    const next = this.#nextRecv !== null && epoch === this.#recv.epoch + 1;
    if ((epoch !== this.#recv.epoch && !next) || seq !== this.#recv.seq) {
      throw new MeteorError("E_REPLAY", "Cannot open frame: replayed or out of order");
    }
    const header = frame.subarray(0, FRAME_HEADER_LENGTH);
    const chain = next ? this.#nextRecv! : this.#recv.chain;
    const step = ratchetStep(chain);
    try {
      const inner = open(
        step.messageKey,
        header.subarray(2),
        frame.subarray(FRAME_HEADER_LENGTH),
        header,
      );
      if (next) {
        wipe(this.#recv.chain);
        this.#nextRecv = null;
      }
      wipe(chain);
      this.#recv = { epoch, seq: this.#recv.seq + 1, chain: step.next };
      this.stats.framesIn++;
      this.#epochMessages++;
      return inner;
    } catch (err) {
      wipe(step.next);
      throw err;
    } finally {
      wipe(step.messageKey);
    }
  }

  /** §5 check 4 and §6: hands data back, runs rekey steps. */
  async #dispatch(inner: Uint8Array): Promise<Uint8Array | null> {
    const kind = inner[0];
    const body = inner.subarray(1);
    if (kind === KIND_DATA) return body.slice();
    if (
      kind === KIND_REKEY_REQUEST && this.role === "responder" &&
      body.length === XWING_PUBLIC_KEY_LENGTH && this.#nextRecv === null
    ) {
      await this.#answerRekey(body.slice());
      return null;
    }
    if (
      kind === KIND_REKEY_RESPONSE && this.role === "initiator" &&
      body.length === XWING_CIPHERTEXT_LENGTH && this.#pending !== null
    ) {
      await this.#completeRekey(body.slice());
      return null;
    }
    throw malformed("unexpected frame kind");
  }

  /** §6 step 2, at the responder. */
  async #answerRekey(publicKey: Uint8Array): Promise<void> {
    let encapsulation;
    try {
      encapsulation = await xwingEncapsulate(publicKey, this.#random(64));
    } catch {
      throw malformed("bad rekey key");
    }
    const { sharedSecret, ciphertext } = encapsulation;
    this.#checkOpen();
    const nextEpoch = this.#send.epoch + 1;
    const root = rekeyRoot(sharedSecret, this.#root, nextEpoch, publicKey, ciphertext);
    wipe(sharedSecret);
    const chains = chainKeys(root, this.#context);
    // The response goes out in epoch e; everything after it in e+1.
    this.#sealAndTransmit(KIND_REKEY_RESPONSE, ciphertext);
    wipe(this.#root, this.#send.chain);
    this.#root = root;
    this.#send = { epoch: nextEpoch, seq: this.#send.seq, chain: chains.r2i };
    this.#nextRecv = chains.i2r;
    this.#newEpoch();
  }

  /** §6 step 3, at the initiator. */
  async #completeRekey(ciphertext: Uint8Array): Promise<void> {
    const { seed, publicKey } = this.#pending!;
    let sharedSecret: Uint8Array;
    try {
      sharedSecret = await xwingDecapsulate(seed, ciphertext);
    } catch {
      throw malformed("bad rekey ciphertext");
    } finally {
      wipe(seed);
      this.#pending = null;
    }
    this.#checkOpen();
    const nextEpoch = this.#send.epoch + 1;
    const root = rekeyRoot(sharedSecret, this.#root, nextEpoch, publicKey, ciphertext);
    wipe(sharedSecret);
    const chains = chainKeys(root, this.#context);
    wipe(this.#root, this.#send.chain, this.#recv.chain);
    this.#root = root;
    this.#send = { epoch: nextEpoch, seq: this.#send.seq, chain: chains.i2r };
    this.#recv = { epoch: nextEpoch, seq: this.#recv.seq, chain: chains.r2i };
    this.#newEpoch();
  }

  #newEpoch(): void {
    this.#epochMessages = 0;
    this.#epochStart = this.#now();
    this.stats.rekeys++;
  }
}
