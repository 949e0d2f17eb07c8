/**
 * The auth protocol's signed statements (docs/auth.md §3), shared by the
 * server and the devices: the device certificate an identity signs, the
 * login statement a device signs for one challenge, and the revocation an
 * identity (or another of its devices) signs. Each is a fixed binary
 * encoding (big-endian integers, no optional parts, so one encoding per
 * value) signed with a hybrid ML-DSA-65 + Ed25519 signature under its own
 * label (core/crypto/sign.ts), and travels in JSON as base64.
 *
 * @module
 */
import { checkLength, concat, utf8 } from "../../core/bytes.ts";
import { hkdfSha256, sha3_256 } from "../../core/crypto/hash.ts";
import {
  ED25519_PUBLIC_KEY_LENGTH,
  MLDSA65_PUBLIC_KEY_LENGTH,
  type SigningPublicKeys,
  signingPublicKeys,
  type SigningSeeds,
} from "../../core/crypto/sign.ts";
import { MeteorError } from "../../core/errors.ts";
import { METEOR_ID_LENGTH } from "../../core/identity/mod.ts";

/** The hybrid signature labels of the auth protocol. */
export const AUTH_LABELS = {
  certificate: "meteor/v1/auth/device-certificate",
  login: "meteor/v1/auth/login",
  revocation: "meteor/v1/auth/revocation",
} as const;

/** Length of a device ID: the first 16 bytes of a SHA3-256. */
export const DEVICE_ID_LENGTH = 16;
/** Length of a challenge. */
export const CHALLENGE_LENGTH = 32;
/** Length of a device secret, from which both device signing seeds are derived. */
export const DEVICE_SECRET_LENGTH = 32;
/** The longest origin, in bytes. */
export const MAX_ORIGIN_LENGTH = 255;
/** The longest device name, in UTF-8 bytes. */
export const MAX_DEVICE_NAME_BYTES = 64;

const DEVICE_ID_LABEL = utf8("meteor/v1/auth/device-id");
const SEED_LABELS = {
  ed25519: "meteor/v1/auth/device/ed25519",
  mldsa65: "meteor/v1/auth/device/ml-dsa-65",
};

const malformed = (what: string, why: string) =>
  new MeteorError("E_MALFORMED", `Cannot parse ${what}: ${why}`);

/** The device ID of a device's public keys: SHA3-256("meteor/v1/auth/device-id" || 0 || ed25519 || ml-dsa-65)[0..16]. */
export function deviceIdOf(keys: SigningPublicKeys): Uint8Array {
  checkLength("ed25519 public key", keys.ed25519, ED25519_PUBLIC_KEY_LENGTH);
  checkLength("ml-dsa-65 public key", keys.mldsa65, MLDSA65_PUBLIC_KEY_LENGTH);
  return sha3_256(concat(DEVICE_ID_LABEL, new Uint8Array([0]), keys.ed25519, keys.mldsa65))
    .slice(0, DEVICE_ID_LENGTH);
}

/**
 * The two signing seeds of a device secret: HKDF-SHA-256(secret, salt =
 * empty, info = label, 32) per algorithm. The secret is random (made on the
 * device), never derived from the identity seed. The caller wipes both.
 */
export function deviceSeeds(secret: Uint8Array): SigningSeeds {
  checkLength("device secret", secret, DEVICE_SECRET_LENGTH);
  const derive = (label: string) => hkdfSha256(secret, new Uint8Array(0), utf8(label), 32);
  return { ed25519: derive(SEED_LABELS.ed25519), mldsa65: derive(SEED_LABELS.mldsa65) };
}

/** A device's public keys and ID from its secret. */
export async function devicePublic(
  secret: Uint8Array,
): Promise<{ publicKeys: SigningPublicKeys; deviceId: Uint8Array }> {
  const seeds = deviceSeeds(secret);
  try {
    const publicKeys = await signingPublicKeys(seeds);
    return { publicKeys, deviceId: deviceIdOf(publicKeys) };
  } finally {
    seeds.ed25519.fill(0);
    seeds.mldsa65.fill(0);
  }
}

/**
 * Checks and normalises a server origin: `http(s)://host[:port]`, no path,
 * query or fragment, as `new URL(origin).origin` writes it.
 */
export function checkOrigin(origin: unknown, what = "origin"): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof origin === "string" ? new URL(origin) : undefined;
  } catch {
    parsed = undefined;
  }
  if (
    !parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:") ||
    parsed.origin !== origin || origin.length > MAX_ORIGIN_LENGTH
  ) {
    throw malformed(what, 'it must be an origin "http(s)://host[:port]" with nothing after');
  }
  return parsed.origin;
}

class Writer {
  readonly #parts: Uint8Array[] = [];
  bytes(b: Uint8Array): this {
    this.#parts.push(b);
    return this;
  }
  u8(n: number): this {
    return this.bytes(new Uint8Array([n]));
  }
  u16(n: number): this {
    return this.bytes(new Uint8Array([n >> 8, n & 0xff]));
  }
  u64(n: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return this.bytes(b);
  }
  ascii(text: string, lengthBytes: 1 | 2): this {
    const b = utf8(text);
    return (lengthBytes === 1 ? this.u8(b.length) : this.u16(b.length)).bytes(b);
  }
  done(): Uint8Array {
    return concat(...this.#parts);
  }
}

function header(magic: string): Writer {
  return new Writer().bytes(utf8(magic)).u8(1);
}

/** What a device certificate says; the identity signs its encoding. */
export interface CertificateBody {
  /** The identity's MeteorID. */
  meteorId: Uint8Array;
  /** The device ID ({@link deviceIdOf} of `publicKeys`). */
  deviceId: Uint8Array;
  /** The device's signing public keys. */
  publicKeys: SigningPublicKeys;
  /** The server origin the device enrols at. */
  origin: string;
  /** A name for people ("laptop"), 0 to 64 UTF-8 bytes. */
  name: string;
  /** When it was issued, Unix ms. */
  issuedAt: number;
}

/** Checks a device name: a string of at most {@link MAX_DEVICE_NAME_BYTES} UTF-8 bytes, no control characters. */
export function checkDeviceName(name: unknown): string {
  if (
    typeof name !== "string" || utf8(name).length > MAX_DEVICE_NAME_BYTES ||
    /\p{Cc}/u.test(name)
  ) {
    throw malformed("device name", `it must be at most ${MAX_DEVICE_NAME_BYTES} bytes of text`);
  }
  return name;
}

/**
 * The signed bytes of a device certificate: "MTAC" | 1 | MeteorID (32) |
 * device ID (16) | ed25519 (32) | ml-dsa-65 (1952) | issuedAt (8) | origin
 * length (2) | origin | name length (1) | name (UTF-8).
 */
export function encodeCertificateBody(body: CertificateBody): Uint8Array {
  checkLength("meteorId", body.meteorId, METEOR_ID_LENGTH);
  checkLength("deviceId", body.deviceId, DEVICE_ID_LENGTH);
  checkLength("ed25519 public key", body.publicKeys.ed25519, ED25519_PUBLIC_KEY_LENGTH);
  checkLength("ml-dsa-65 public key", body.publicKeys.mldsa65, MLDSA65_PUBLIC_KEY_LENGTH);
  return header("MTAC").bytes(body.meteorId).bytes(body.deviceId)
    .bytes(body.publicKeys.ed25519).bytes(body.publicKeys.mldsa65).u64(body.issuedAt)
    .ascii(checkOrigin(body.origin), 2).ascii(checkDeviceName(body.name), 1).done();
}

/** Parses the signed bytes of a device certificate (E_MALFORMED for anything else). */
export function parseCertificateBody(bytes: Uint8Array): CertificateBody {
  const what = "device certificate";
  let at = 0;
  const take = (n: number) => {
    if (at + n > bytes.length) throw malformed(what, "truncated");
    return bytes.slice(at, at += n);
  };
  const magic = new TextDecoder().decode(take(4));
  if (magic !== "MTAC" || take(1)[0] !== 1) throw malformed(what, "not a version 1 certificate");
  const meteorId = take(METEOR_ID_LENGTH);
  const deviceId = take(DEVICE_ID_LENGTH);
  const publicKeys = {
    ed25519: take(ED25519_PUBLIC_KEY_LENGTH),
    mldsa65: take(MLDSA65_PUBLIC_KEY_LENGTH),
  };
  const issuedAt = Number(new DataView(take(8).buffer).getBigUint64(0));
  const originBytes = take(new DataView(take(2).buffer).getUint16(0));
  const nameBytes = take(take(1)[0]);
  if (at !== bytes.length) throw malformed(what, "trailing bytes");
  let origin: string;
  let name: string;
  try {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    origin = decoder.decode(originBytes);
    name = decoder.decode(nameBytes);
  } catch {
    throw malformed(what, "text is not UTF-8");
  }
  if (!Number.isSafeInteger(issuedAt)) throw malformed(what, "issuedAt out of range");
  return {
    meteorId,
    deviceId,
    publicKeys,
    origin: checkOrigin(origin, `${what} origin`),
    name: checkDeviceName(name),
    issuedAt,
  };
}

/** What a device signs to answer one challenge. */
export interface LoginStatement {
  /** The server's challenge. */
  challenge: Uint8Array;
  /** The identity logging in. */
  meteorId: Uint8Array;
  /** The device answering. */
  deviceId: Uint8Array;
  /** The server origin the device is talking to. */
  origin: string;
}

/**
 * The signed bytes of a login statement: "MTAL" | 1 | challenge (32) |
 * MeteorID (32) | device ID (16) | origin length (2) | origin.
 */
export function encodeLoginStatement(s: LoginStatement): Uint8Array {
  checkLength("challenge", s.challenge, CHALLENGE_LENGTH);
  checkLength("meteorId", s.meteorId, METEOR_ID_LENGTH);
  checkLength("deviceId", s.deviceId, DEVICE_ID_LENGTH);
  return header("MTAL").bytes(s.challenge).bytes(s.meteorId).bytes(s.deviceId)
    .ascii(checkOrigin(s.origin), 2).done();
}

/** What an identity (or another of its devices) signs to revoke one of its devices. */
export interface RevocationStatement {
  /** The identity. */
  meteorId: Uint8Array;
  /** The device revoked. */
  deviceId: Uint8Array;
  /** The signer: undefined for the identity key, else the signing device's ID. */
  by?: Uint8Array;
  /** The server origin. */
  origin: string;
  /** When it was signed, Unix ms. */
  issuedAt: number;
}

/**
 * The signed bytes of a revocation: "MTAR" | 1 | MeteorID (32) | device ID
 * (16) | signer kind (1: 0 identity, 1 device) | signing device ID (16,
 * zeros for the identity) | issuedAt (8) | origin length (2) | origin.
 */
export function encodeRevocation(s: RevocationStatement): Uint8Array {
  checkLength("meteorId", s.meteorId, METEOR_ID_LENGTH);
  checkLength("deviceId", s.deviceId, DEVICE_ID_LENGTH);
  if (s.by !== undefined) checkLength("by", s.by, DEVICE_ID_LENGTH);
  return header("MTAR").bytes(s.meteorId).bytes(s.deviceId).u8(s.by ? 1 : 0)
    .bytes(s.by ?? new Uint8Array(DEVICE_ID_LENGTH)).u64(s.issuedAt)
    .ascii(checkOrigin(s.origin), 2).done();
}
