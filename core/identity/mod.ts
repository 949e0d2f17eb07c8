/**
 * A node's identity from one 32-byte seed: key derivation, the MeteorID and
 * its text form, the libp2p PeerId, and signed identity documents.
 * Specification: docs/identity.md.
 *
 * @example
 * ```ts
 * import {
 *   createDocument,
 *   deriveKeys,
 *   formatDocument,
 *   formatMeteorId,
 *   parseMeteorId,
 *   readDocument,
 *   wipeNodeKeys,
 * } from "./mod.ts";
 * const keys = await deriveKeys(crypto.getRandomValues(new Uint8Array(32)));
 * try {
 *   const id = formatMeteorId(keys.meteorId); // "meteor1..."
 *   const text = formatDocument(await createDocument(keys));
 *   // Elsewhere, someone who knows only the ID text:
 *   await readDocument(text, { expectedId: parseMeteorId(id) });
 * } finally {
 *   wipeNodeKeys(keys);
 * }
 * ```
 *
 * @module
 */
export * from "./derive.ts";
export * from "./meteor_id.ts";
export * from "./peer_id.ts";
export * from "./document.ts";
export * from "./age_keys.ts";
