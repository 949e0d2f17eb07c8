/**
 * The shape of a batch AEAD engine: many independent ChaCha20-Poly1305
 * (RFC 8439) operations, each with its own key and nonce, done in one call.
 * The CPU engine and the WebGPU engine implement it and must agree byte for byte.
 *
 * @module
 */

/** One AEAD operation in a batch. `data` is plaintext to seal or ciphertext||tag to open. */
export interface AeadJob {
  /** 32-byte key. */
  key: Uint8Array;
  /** 12-byte nonce. */
  nonce: Uint8Array;
  /** Input bytes; never modified. */
  data: Uint8Array;
  /** Associated data (empty when absent). */
  aad?: Uint8Array;
}

/** A batch ChaCha20-Poly1305 engine. */
export interface BatchAead {
  /** A short name for reports: "cpu" or "webgpu". */
  readonly name: string;
  /** Seals every job; result i is ciphertext||tag (16 bytes longer than job i's data). */
  sealBatch(jobs: readonly AeadJob[]): Promise<Uint8Array[]>;
  /** Opens every job; result i is the plaintext or null when its tag does not verify. */
  openBatch(jobs: readonly AeadJob[]): Promise<(Uint8Array | null)[]>;
}
