/**
 * Shared test fixtures for the p2p tests: deterministic node identities and a
 * handshake between two of them, in memory.
 *
 * @module
 */
import { deriveKeys, type NodeKeys } from "../../core/identity/mod.ts";
import {
  documentVerifier,
  finishInitiator,
  finishResponder,
  type HandshakeResult,
  initiate,
  type LocalIdentity,
  localIdentity,
  respond,
  Session,
  type SessionOptions,
} from "../../plugins/p2p/session/mod.ts";

/** A test node: its keys and the handshake's view of it. */
export interface TestNode {
  keys: NodeKeys;
  local: LocalIdentity;
}

/** A node whose seed is 32 copies of `byte`. */
export async function testNode(byte: number): Promise<TestNode> {
  const keys = await deriveKeys(new Uint8Array(32).fill(byte));
  return { keys, local: await localIdentity(keys, ["/ip4/127.0.0.1/tcp/1"]) };
}

/** Two sessions joined by a completed handshake; frames collect in the arrays. */
export interface SessionPair {
  initiator: Session;
  responder: Session;
  /** Frames the initiator sent, for the responder. */
  toResponder: Uint8Array[];
  /** Frames the responder sent, for the initiator. */
  toInitiator: Uint8Array[];
}

/** Both sides' results of one handshake from `a` (initiator) to `b`. */
export interface HandshakeResults {
  initiator: HandshakeResult;
  responder: HandshakeResult;
}

/** Runs the three-message handshake from `a` (initiator) to `b`, in memory. */
export async function handshakeResults(a: TestNode, b: TestNode): Promise<HandshakeResults> {
  const verify = documentVerifier();
  const state = await initiate();
  const r = await respond(b.local, state.message1);
  const { message3, result } = await finishInitiator(
    state,
    a.local,
    r.message2,
    verify,
    b.keys.meteorId,
  );
  return { initiator: result, responder: await finishResponder(r, message3, verify) };
}

/** A copy of `result` with its own keys: a second session on the same keys. */
export function copyResult(result: HandshakeResult): HandshakeResult {
  return {
    ...result,
    root: result.root.slice(),
    chains: { i2r: result.chains.i2r.slice(), r2i: result.chains.r2i.slice() },
  };
}

/** Runs the three-message handshake from `a` (initiator) to `b` and builds both sessions. */
export async function sessionPair(
  a: TestNode,
  b: TestNode,
  options: SessionOptions = {},
  results?: HandshakeResults,
): Promise<SessionPair> {
  const { initiator, responder } = results ?? await handshakeResults(a, b);
  const toResponder: Uint8Array[] = [];
  const toInitiator: Uint8Array[] = [];
  return {
    initiator: new Session(initiator, (f) => toResponder.push(f), options),
    responder: new Session(responder, (f) => toInitiator.push(f), options),
    toResponder,
    toInitiator,
  };
}
