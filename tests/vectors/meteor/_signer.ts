/**
 * A deterministic {@link HybridSigner} for test vectors. Meteor's own signer
 * (core/crypto/sign.ts `seedSigner`) hedges ML-DSA-65 (FIPS 204 §3.4: fresh
 * rnd for every signature), so its signatures cannot be pinned byte for byte.
 * This one signs the same bytes M' (docs/identity.md §4.2) with
 * @noble/post-quantum's ML-DSA-65 in its deterministic variant (FIPS 204
 * Algorithm 2 with rnd = 32 zero bytes, empty context) and Ed25519 (RFC 8032,
 * deterministic by design), so a vector is reproducible and was produced by a
 * second implementation of both algorithms.
 *
 * @module
 */
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { concat } from "../../../core/bytes.ts";
import {
  hybridSignedBytes,
  type HybridSigner,
  type SigningSeeds,
} from "../../../core/crypto/sign.ts";

/** Signs like `seedSigner(seeds)` but with deterministic ML-DSA-65 (rnd = 0^32). */
export function deterministicSigner(seeds: SigningSeeds): HybridSigner {
  return {
    sign(context, message) {
      const signed = hybridSignedBytes(context, message);
      // FIPS 204 Algorithm 6 ML-DSA.KeyGen_internal(ξ) from the 32-byte seed ξ.
      const { secretKey } = ml_dsa65.keygen(seeds.mldsa65);
      try {
        const mldsa = ml_dsa65.sign(signed, secretKey, { extraEntropy: false });
        const ed = ed25519.sign(signed, seeds.ed25519);
        return Promise.resolve(concat(mldsa, ed));
      } finally {
        secretKey.fill(0);
      }
    },
  };
}
