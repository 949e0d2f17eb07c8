/**
 * The check every batch engine makes before it seals: no two jobs of a batch
 * share a (key, nonce) pair. Sealing two messages under one pair reveals
 * their XOR and lets the Poly1305 key be recovered (RFC 8439 §4), so such a
 * batch is refused whole, before anything is sealed.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";

/** A string of the key's and nonce's bytes (each byte one UTF-16 unit), for a Set. */
function pairOf(key: Uint8Array, nonce: Uint8Array): string {
  return String.fromCharCode(...key, ...nonce);
}

/**
 * Throws MeteorError E_NONCE_REUSE when two jobs have equal keys and equal
 * nonces (by value). Jobs that are not well-formed are left to the engine,
 * which rejects them as it always did.
 */
export function checkNoncesUnique(
  jobs: readonly { key: Uint8Array; nonce: Uint8Array }[],
): void {
  if (jobs.length < 2) return;
  const seen = new Set<string>();
  for (let i = 0; i < jobs.length; i++) {
    const { key, nonce } = jobs[i];
    if (!(key instanceof Uint8Array) || !(nonce instanceof Uint8Array)) continue;
    const pair = pairOf(key, nonce);
    if (seen.has(pair)) {
      throw new MeteorError(
        "E_NONCE_REUSE",
        `Cannot seal batch: job ${i} reuses the key and nonce of an earlier job`,
      );
    }
    seen.add(pair);
  }
}
