/**
 * Bech32 (BIP 173) as the age specification uses it: the BIP 173 checksum
 * and alphabet, but no 90-character length limit, so that 1216-byte
 * post-quantum recipients (`age1pq1...`, 1,959 characters) fit; and, for
 * MeteorIDs, the Bech32m checksum (BIP 350), which differs only in its
 * constant. Decoding
 * stops at {@link MAX_BECH32_LENGTH} instead, so that a hostile string costs
 * no more than a real key. Strings are all lower case or
 * all upper case; the checksum is always computed over the lower-case form.
 * age encodes recipients in lower case and identities in upper case.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** The BIP 173 checksum length in characters. */
const CHECKSUM_LENGTH = 6;
/** The longest string {@link bech32Decode} reads: twice an `age1pq1...` recipient, rounded up. */
export const MAX_BECH32_LENGTH = 4096;

/** Which checksum a string carries: "bech32" (BIP 173, age's) or "bech32m" (BIP 350). */
export type Bech32Variant = "bech32" | "bech32m";

/**
 * The checksum constant each variant XORs into the polymod: 1 for Bech32
 * (BIP 173, age), 0x2bc830a3 for Bech32m (BIP 350, MeteorIDs).
 */
const CHECKSUM_CONSTANT: Record<Bech32Variant, number> = { bech32: 1, bech32m: 0x2bc830a3 };

/** The decoded parts of a Bech32 string. */
export interface Bech32Decoded {
  /** The human-readable part, in the case it was written in. */
  hrp: string;
  /** The data bytes. */
  data: Uint8Array;
}

// BIP 173 "Checksum": polymod over hrp-expanded values and 5-bit groups.
function polymod(values: Iterable<number>): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i];
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function checkHrp(hrp: string): boolean {
  if (hrp.length === 0) return false;
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

// BIP 173 "convertbits": regroups bits; 8 -> 5 pads, 5 -> 8 rejects padding
// longer than 4 bits or non-zero.
function toWords(data: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of data) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

function fromWords(words: number[]): Uint8Array | null {
  const out = new Uint8Array(Math.floor((words.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (bits >= 5 || ((acc << (8 - bits)) & 0xff) !== 0) return null;
  return out;
}

/**
 * Encodes `data` as Bech32 with human-readable part `hrp`, in lower case, or
 * in upper case when `upper` is true (age identities); with the Bech32m
 * checksum (BIP 350) when `variant` is "bech32m".
 *
 * @example
 * ```ts
 * import { bech32Encode } from "./bech32.ts";
 * bech32Encode("age", new Uint8Array(32)).startsWith("age1"); // true
 * ```
 */
export function bech32Encode(
  hrp: string,
  data: Uint8Array,
  upper = false,
  variant: Bech32Variant = "bech32",
): string {
  if (!checkHrp(hrp)) throw new TypeError("Cannot encode Bech32: invalid human-readable part");
  const lower = hrp.toLowerCase();
  const words = toWords(data);
  const chk = polymod([...hrpExpand(lower), ...words, 0, 0, 0, 0, 0, 0]) ^
    CHECKSUM_CONSTANT[variant];
  let out = lower + "1";
  for (const w of words) out += CHARSET[w];
  for (let i = 0; i < CHECKSUM_LENGTH; i++) out += CHARSET[(chk >>> (5 * (5 - i))) & 31];
  return upper ? out.toUpperCase() : out;
}

/**
 * Decodes a Bech32 string (a Bech32m one when `variant` is "bech32m") of at
 * most {@link MAX_BECH32_LENGTH} characters, rejecting a longer one, mixed
 * case, characters outside the alphabet, a bad checksum and non-zero or
 * overlong padding. Throws MeteorError E_MALFORMED.
 *
 * @example
 * ```ts
 * import { bech32Decode, bech32Encode } from "./bech32.ts";
 * bech32Decode(bech32Encode("age", new Uint8Array([1, 2]))).hrp; // "age"
 * ```
 */
export function bech32Decode(text: string, variant: Bech32Variant = "bech32"): Bech32Decoded {
  const fail = (state: string): never => {
    throw new MeteorError("E_MALFORMED", `Cannot decode Bech32: ${state}`);
  };
  if (text.length > MAX_BECH32_LENGTH) fail(`longer than ${MAX_BECH32_LENGTH} characters`);
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) fail("mixed case");
  const lower = text.toLowerCase();
  const pos = lower.lastIndexOf("1");
  if (pos < 1 || lower.length - pos - 1 < CHECKSUM_LENGTH) fail("missing separator or checksum");
  const hrp = lower.slice(0, pos);
  if (!checkHrp(hrp)) fail("invalid human-readable part");
  const values: number[] = [];
  for (const c of lower.slice(pos + 1)) {
    const v = CHARSET.indexOf(c);
    if (v < 0) fail("character outside the alphabet");
    values.push(v);
  }
  if (polymod([...hrpExpand(hrp), ...values]) !== CHECKSUM_CONSTANT[variant]) fail("bad checksum");
  const data = fromWords(values.slice(0, values.length - CHECKSUM_LENGTH));
  if (data === null) fail("invalid padding");
  return { hrp: text.slice(0, pos), data: data! };
}

/**
 * The data of `text` when it is valid Bech32 with exactly the human-readable
 * part `hrp` (case included) and `length` data bytes; null otherwise.
 *
 * @example
 * ```ts
 * import { bech32DecodeKey, bech32Encode } from "./bech32.ts";
 * bech32DecodeKey(bech32Encode("age", new Uint8Array(32)), "age", 32)?.length; // 32
 * ```
 */
export function bech32DecodeKey(text: string, hrp: string, length: number): Uint8Array | null {
  try {
    const decoded = bech32Decode(text);
    return decoded.hrp === hrp && decoded.data.length === length ? decoded.data : null;
  } catch {
    return null;
  }
}
