/**
 * Native WebCrypto, typed for what core/crypto uses. Deno's bundled lib types
 * predate the WICG "Modern Algorithms in WebCrypto" additions (ML-KEM, ML-DSA,
 * the "raw-seed"/"raw-public" formats, getPublicKey, encapsulateBits) and require
 * ArrayBuffer-backed views, so the calls are declared here once instead of cast
 * at every call site. Private to core/crypto.
 *
 * @module
 */

/** An algorithm identifier, optionally with the peer key for X25519 deriveBits. */
export interface NativeAlgorithm {
  name: string;
  public?: CryptoKey;
}

/** The SubtleCrypto methods core/crypto calls, with Uint8Array inputs. */
export interface NativeSubtle {
  importKey(
    format: "raw" | "pkcs8" | "raw-seed" | "raw-public",
    keyData: Uint8Array,
    algorithm: NativeAlgorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  exportKey(format: "raw" | "raw-public", key: CryptoKey): Promise<ArrayBuffer>;
  getPublicKey(key: CryptoKey, usages: string[]): Promise<CryptoKey>;
  encapsulateBits(
    algorithm: NativeAlgorithm,
    key: CryptoKey,
  ): Promise<{ sharedKey: ArrayBuffer; ciphertext: ArrayBuffer }>;
  decapsulateBits(
    algorithm: NativeAlgorithm,
    key: CryptoKey,
    ciphertext: Uint8Array,
  ): Promise<ArrayBuffer>;
  deriveBits(algorithm: NativeAlgorithm, key: CryptoKey, length: number): Promise<ArrayBuffer>;
  sign(algorithm: NativeAlgorithm, key: CryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  verify(
    algorithm: NativeAlgorithm,
    key: CryptoKey,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
}

/** The runtime's SubtleCrypto with the declarations above. */
export const subtle: NativeSubtle = crypto.subtle as unknown as NativeSubtle;
