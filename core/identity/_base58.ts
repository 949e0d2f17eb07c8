/**
 * Base58btc encoding (the Bitcoin alphabet; draft-msporny-base58 §3), which
 * libp2p PeerIds are written in. Encoding only, and here rather than from
 * @scure/base so that the identity code loads no npm package: the CLI's
 * first npm import costs it 18 to 30 ms of start-up (docs/benchmarks.md
 * "CLI start-up"). Checked against @scure/base in tests/identity.
 *
 * @module
 */

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/**
 * The base58btc text of `bytes`: each leading zero byte is a "1", the rest
 * is the big-endian number in base 58.
 *
 * @example
 * ```ts
 * import { base58Encode } from "./_base58.ts";
 * base58Encode(new Uint8Array([0, 0, 1])); // "112"
 * ```
 */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Little-endian base-58 digits of the number after the leading zeros.
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i];
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j] << 8;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = "1".repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i]];
  return out;
}
