/**
 * Meteor's cryptographic primitives, all standard: hashes and HKDF (FIPS 180-4,
 * FIPS 202, RFC 5869), ChaCha20-Poly1305 (RFC 8439), X25519 (RFC 7748),
 * ML-KEM-768 (FIPS 203), the X-Wing hybrid KEM (draft-connolly-cfrg-xwing-kem),
 * HPKE (RFC 9180) with X-Wing as age's mlkem768x25519 recipient uses it, and
 * hybrid ML-DSA-65 + Ed25519 signatures (FIPS 204, RFC 8032).
 *
 * @module
 */
export * from "./hash.ts";
export * from "./aead.ts";
export * from "./x25519.ts";
export * from "./mlkem.ts";
export * from "./xwing.ts";
export * from "./hpke.ts";
export * from "./sign.ts";
export type { CipherStatus, NodeCipher } from "./node_cipher.ts";
export type { CipherEngine } from "./cipher_choice.ts";
export type { CipherPath } from "./batch.ts";
export type { AeadJob } from "./batch_types.ts";
