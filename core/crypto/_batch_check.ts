/**
 * The check every batch engine makes before it seals: no two jobs of a batch
 * share a (key, nonce) pair. Sealing two messages under one pair reveals
 * their XOR and lets the Poly1305 key be recovered (RFC 8439 §4), so such a
 * batch is refused whole, before anything is sealed.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";

/** A 32-bit hash of the 12-byte nonce (equal nonces hash equal; collisions are compared). */
function nonceHash(n: Uint8Array): number {
  const a = n[0] | (n[1] << 8) | (n[2] << 16) | (n[3] << 24);
  const b = n[4] | (n[5] << 8) | (n[6] << 16) | (n[7] << 24);
  const c = n[8] | (n[9] << 8) | (n[10] << 16) | (n[11] << 24);
  return (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca77)) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type Job = { key: Uint8Array; nonce: Uint8Array };

/**
 * Throws MeteorError E_NONCE_REUSE when two jobs have equal keys and equal
 * nonces (by value). Jobs are indexed by a hash of the nonce, and bytes are
 * compared only when hashes collide, so the check costs little beside
 * sealing. Jobs that are not well-formed are left to the engine, which
 * rejects them as it always did.
 */
export function checkNoncesUnique(jobs: readonly Job[]): void {
  if (jobs.length < 2) return;
  // The first job of each hash; later jobs of a colliding hash in `more`.
  const first = new Map<number, Job>();
  const more = new Map<number, Job[]>();
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    if (!(job.key instanceof Uint8Array) || !(job.nonce instanceof Uint8Array)) continue;
    if (job.nonce.length !== 12) continue;
    const h = nonceHash(job.nonce);
    const earlier = first.get(h);
    if (earlier === undefined) {
      first.set(h, job);
      continue;
    }
    const seen = more.get(h) ?? [earlier];
    for (const other of seen) {
      if (sameBytes(other.nonce, job.nonce) && sameBytes(other.key, job.key)) {
        throw new MeteorError(
          "E_NONCE_REUSE",
          `Cannot seal batch: job ${i} reuses the key and nonce of an earlier job`,
        );
      }
    }
    seen.push(job);
    more.set(h, seen);
  }
}
