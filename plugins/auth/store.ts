/**
 * What the auth server keeps, behind a small asynchronous interface so that
 * a shared store (PostgreSQL, docs/auth.md §7) can replace the SQLite one
 * when one server is not enough. Every method that acknowledges a change
 * resolves only once the change is durable.
 *
 * @module
 */
import type { SigningPublicKeys } from "../../core/crypto/sign.ts";

/** An enrolled device. */
export interface DeviceRecord {
  /** Its 16-byte device ID. */
  deviceId: Uint8Array;
  /** The identity it belongs to. */
  meteorId: Uint8Array;
  /** Its signing public keys. */
  publicKeys: SigningPublicKeys;
  /** The name its certificate gives. */
  name: string;
  /** The certificate, as signed (body || signature). */
  certificate: Uint8Array;
  /** When it enrolled, Unix ms. */
  createdAt: number;
  /** When it was revoked, Unix ms; null while active. */
  revokedAt: number | null;
}

/** A challenge: for one device's login, or for a login request (QR page) when no device is bound. */
export interface ChallengeRecord {
  /** The 32 random bytes. */
  challenge: Uint8Array;
  /** The identity it was issued to; null for a login request's. */
  meteorId: Uint8Array | null;
  /** The device it was issued to; null for a login request's. */
  deviceId: Uint8Array | null;
  /** When it stops being accepted, Unix ms. */
  expiresAt: number;
}

/** A stored challenge and whether it was answered. */
export interface StoredChallenge extends ChallengeRecord {
  /** When it was used (answered, rightly or not), Unix ms; null while fresh. */
  usedAt: number | null;
}

/** A login request shown on the login page (QR code). */
export interface RequestRecord {
  /** Its 16-byte ID, the code in the QR. */
  id: Uint8Array;
  /** Its challenge. */
  challenge: Uint8Array;
  /** SHA-256 of the page's secret, which becomes the session token on approval. */
  secretHash: Uint8Array;
  /** When it stops being accepted, Unix ms. */
  expiresAt: number;
  /** Who approved it, once approved. */
  approved: { meteorId: Uint8Array; deviceId: Uint8Array } | null;
}

/** A session. */
export interface SessionRecord {
  /** SHA-256 of the token: the token itself is never stored. */
  tokenHash: Uint8Array;
  /** The identity logged in. */
  meteorId: Uint8Array;
  /** The device that logged in. */
  deviceId: Uint8Array;
  /** When it began, Unix ms. */
  createdAt: number;
  /** When it ends, Unix ms. */
  expiresAt: number;
  /** When it was revoked, Unix ms; null while valid. */
  revokedAt: number | null;
}

/** The auth server's durable state. */
export interface AuthStore {
  /** Records (or refreshes) an identity's signing keys and document. */
  putIdentity(
    meteorId: Uint8Array,
    keys: SigningPublicKeys,
    document: Uint8Array,
    now: number,
  ): Promise<void>;
  /** An identity's signing keys, when registered. */
  identityKeys(meteorId: Uint8Array): Promise<SigningPublicKeys | undefined>;
  /** Adds a device; false when one with its ID exists already (nothing changes). */
  addDevice(device: DeviceRecord): Promise<boolean>;
  /** A device by ID. */
  device(deviceId: Uint8Array): Promise<DeviceRecord | undefined>;
  /** An identity's devices, oldest first. */
  devices(meteorId: Uint8Array): Promise<DeviceRecord[]>;
  /** Revokes a device and, in the same transaction, every session it opened. */
  revokeDevice(deviceId: Uint8Array, now: number): Promise<void>;
  /** Stores a new challenge. */
  putChallenge(record: ChallengeRecord): Promise<void>;
  /** A challenge, fresh or used. */
  challenge(challenge: Uint8Array): Promise<StoredChallenge | undefined>;
  /**
   * Marks a challenge used, atomically: resolves to true for exactly one
   * caller, false when it was used already (and then changes nothing).
   * With `session`, opens that session in the same transaction, and with
   * `request` also marks that login request approved by the session's device.
   */
  consumeChallenge(
    challenge: Uint8Array,
    now: number,
    opens?: { session: SessionRecord; request?: Uint8Array },
  ): Promise<boolean>;
  /** Stores a new login request with its (unbound) challenge. */
  putRequest(record: RequestRecord): Promise<void>;
  /** A login request by ID. */
  request(id: Uint8Array): Promise<RequestRecord | undefined>;
  /** A session by token hash. */
  session(tokenHash: Uint8Array): Promise<SessionRecord | undefined>;
  /** Revokes a session. */
  revokeSession(tokenHash: Uint8Array, now: number): Promise<void>;
  /** Deletes challenges, requests and sessions that ended before `now`. */
  purge(now: number): Promise<void>;
}
