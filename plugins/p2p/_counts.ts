/**
 * The node's counters for GET /v1/stats: handshakes, messages and frames
 * in and out, rekeys, peer errors and rejected frames by code.
 *
 * @module
 */
import { isMeteorError } from "../../core/errors.ts";
import type { SessionStats } from "./session/mod.ts";

/** The node's counters, all zero. */
export function newCounts(): Record<string, number> {
  return {
    handshakes: 0,
    handshakeFailures: 0,
    messagesIn: 0,
    messagesOut: 0,
    framesIn: 0,
    framesOut: 0,
    framesBatched: 0,
    rekeys: 0,
    peerErrors: 0,
    deliveryFailures: 0,
    lookups: 0,
    recordsIn: 0,
    recordsOut: 0,
    recordsUnhandled: 0,
    recordHandlerFailures: 0,
  };
}

/** Adds a session's counters to the node's (GET /v1/stats). */
export function addSessionStats(counts: Record<string, number>, stats: SessionStats): void {
  counts.framesIn += stats.framesIn;
  counts.framesOut += stats.framesOut;
  counts.framesBatched += stats.framesBatched;
  counts.rekeys += stats.rekeys;
  for (const [code, n] of Object.entries(stats.rejected)) {
    counts[`rejected.${code}`] = (counts[`rejected.${code}`] ?? 0) + n;
  }
}

/**
 * Counts a protocol error a peer caused under `<prefix><code>` (§8, §10:
 * `rejected.<code>` in the node's counts); anything that is not a
 * MeteorError (a reset stream, a closed connection) is not a protocol error
 * and is not counted.
 */
export function countRejected(counts: Record<string, number>, err: unknown, prefix = ""): void {
  if (isMeteorError(err)) counts[prefix + err.code] = (counts[prefix + err.code] ?? 0) + 1;
}
