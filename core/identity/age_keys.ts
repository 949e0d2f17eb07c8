/**
 * A node's X-Wing key as an age 1.3 hybrid post-quantum key: the recipient
 * `age1pq1...` (the X-Wing public key) and the identity
 * `AGE-SECRET-KEY-PQ-1...` (the X-Wing seed). Files encrypted to the
 * recipient open with the node's keys, with `meteor decrypt`, or with age >= 1.3
 * given the identity (age spec, "The MLKEM768-X25519 hybrid post-quantum
 * recipient type").
 *
 * @module
 */
import { HybridIdentity, HybridRecipient } from "../age/mlkem768x25519.ts";
import type { NodeSeeds } from "./derive.ts";
import type { PublicKeyBundle } from "./meteor_id.ts";

/**
 * The age recipient string of a node's public keys.
 *
 * @example
 * ```ts
 * import { ageRecipient, deriveKeys } from "./mod.ts";
 * const keys = await deriveKeys(new Uint8Array(32));
 * ageRecipient(keys.publicKeys).startsWith("age1pq1"); // true
 * ```
 */
export function ageRecipient(publicKeys: PublicKeyBundle): string {
  return new HybridRecipient(publicKeys.xwing).toString();
}

/**
 * The age identity string of a node's X-Wing seed. It is a secret (anyone
 * holding it decrypts what is sent to the node): never log it.
 */
export function ageIdentity(seeds: NodeSeeds): string {
  using identity = new HybridIdentity(seeds.xwing);
  return identity.toString();
}
