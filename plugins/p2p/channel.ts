/**
 * A Meteor session on a libp2p stream (docs/protocol.md §2, §3, §8): runs
 * the handshake over length-prefixed frames, binds the peer's identity
 * document to the libp2p PeerId of the connection, and pumps session frames.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import { MeteorError } from "../../core/errors.ts";
import { countRejected } from "./_counts.ts";
import { FramedStream } from "./_framing.ts";
import {
  finishInitiator,
  finishResponder,
  type HandshakeResult,
  initiate,
  type LocalIdentity,
  respond,
  Session,
  type SessionOptions,
  type VerifyDocument,
} from "./session/mod.ts";

/** The libp2p protocol id of Meteor sessions (§2). */
export const SESSION_PROTOCOL = "/meteor/session/1.0.0";
/** The libp2p protocol id of the identity document lookup (§8). */
export const ID_PROTOCOL = "/meteor/id/1.0.0";
/** How long a handshake may take, in ms (§2). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** An established session and the stream it runs on. */
export interface Channel {
  /** The session; its frames go to `framed`. */
  session: Session;
  /** The framed stream. */
  framed: FramedStream;
}

/** What both ends of a handshake need. */
export interface ChannelOptions {
  /** This node. */
  local: LocalIdentity;
  /** Verifies the peer's identity document. */
  verify: VerifyDocument;
  /** The PeerId of the connection the stream belongs to. */
  remotePeerId: string;
  /** Session options (rekey thresholds, the batch sealer); frames go to the stream. */
  session?: Omit<SessionOptions, "transmitBatch">;
  /** Handshake time limit in ms; default {@link HANDSHAKE_TIMEOUT_MS}. */
  timeoutMs?: number;
}

async function readHandshake(framed: FramedStream, signal: AbortSignal): Promise<Uint8Array> {
  const message = await framed.read(signal);
  if (message === null) {
    throw new MeteorError("E_HANDSHAKE", "Cannot complete handshake: the stream ended");
  }
  return message;
}

function checkPeerId(session: Session, remotePeerId: string): void {
  if (session.peer.peerId !== remotePeerId) {
    session.close();
    throw new MeteorError(
      "E_ID_MISMATCH",
      "Cannot complete handshake: the identity document names another PeerId",
    );
  }
}

/**
 * Frames `stream`, runs one side of the handshake within the time limit and
 * opens the session on its result, bound to the connection's PeerId. On any
 * failure the stream is aborted and the error rethrown.
 */
async function openChannel(
  stream: Stream,
  options: ChannelOptions,
  handshake: (framed: FramedStream, signal: AbortSignal) => Promise<HandshakeResult>,
): Promise<Channel> {
  const framed = new FramedStream(stream);
  const signal = AbortSignal.timeout(options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  try {
    const result = await handshake(framed, signal);
    const session = new Session(result, (frame) => framed.write(frame), {
      ...options.session,
      transmitBatch: (frames) => framed.writeMany(frames),
    });
    checkPeerId(session, options.remotePeerId);
    return { session, framed };
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

/**
 * Runs the initiator's side of the handshake on a fresh outbound stream.
 * With `expectedId`, any other MeteorID is refused (E_ID_MISMATCH).
 *
 * @throws {MeteorError} E_HANDSHAKE, E_ID_MISMATCH, E_MALFORMED or E_TIMEOUT;
 *   the stream is aborted
 */
export function initiateChannel(
  stream: Stream,
  options: ChannelOptions & { expectedId?: Uint8Array },
): Promise<Channel> {
  return openChannel(stream, options, async (framed, signal) => {
    const state = await initiate();
    framed.write(state.message1);
    const message2 = await readHandshake(framed, signal);
    const { message3, result } = await finishInitiator(
      state,
      options.local,
      message2,
      options.verify,
      options.expectedId,
    );
    framed.write(message3);
    return result;
  });
}

/**
 * Runs the responder's side of the handshake on an inbound stream.
 *
 * @throws {MeteorError} E_HANDSHAKE, E_ID_MISMATCH, E_MALFORMED or E_TIMEOUT;
 *   the stream is aborted
 */
export function acceptChannel(stream: Stream, options: ChannelOptions): Promise<Channel> {
  return openChannel(stream, options, async (framed, signal) => {
    const state = await respond(options.local, await readHandshake(framed, signal));
    framed.write(state.message2);
    return await finishResponder(state, await readHandshake(framed, signal), options.verify);
  });
}

/**
 * Reads session frames until the stream ends, handing application data to
 * `onData` in order. On a clean end it closes the session and its own side of
 * the stream and resolves; on any rejected frame or error it closes the
 * session, aborts the stream and rethrows.
 */
export async function pumpChannel(
  channel: Channel,
  onData: (data: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const { session, framed } = channel;
  try {
    while (true) {
      const frame = await framed.read().catch((err) => {
        countRejected(session.stats.rejected, err); // §8: bad framing, counted as a frame rejection
        throw err;
      });
      if (frame === null) break;
      const data = await session.receive(frame);
      if (data === null) continue;
      const handled = onData(data);
      if (handled !== undefined) await handled;
    }
    session.close();
    await framed.stream.close().catch(() => {});
  } catch (err) {
    session.close();
    framed.stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}
