/**
 * The SQLite {@link AuthStore}: the plugin's own database (the `database`
 * component: WAL, synchronous FULL, so a write is on disk before its
 * statement returns and nothing acknowledged is lost on kill -9), migrated
 * by version.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { SigningPublicKeys } from "../../core/crypto/sign.ts";
import { prepared } from "../../core/store/mod.ts";
import type {
  AuthStore,
  ChallengeRecord,
  DeviceRecord,
  RequestRecord,
  SessionRecord,
  StoredChallenge,
} from "./store.ts";

/** Migration i moves auth.db from version i to i + 1; append, never edit. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE identities (
    meteor_id BLOB PRIMARY KEY CHECK (length(meteor_id) = 32),
    ed25519 BLOB NOT NULL,
    mldsa65 BLOB NOT NULL,
    document BLOB NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE devices (
    device_id BLOB PRIMARY KEY CHECK (length(device_id) = 16),
    meteor_id BLOB NOT NULL REFERENCES identities (meteor_id),
    ed25519 BLOB NOT NULL,
    mldsa65 BLOB NOT NULL,
    name TEXT NOT NULL,
    certificate BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) STRICT;
  CREATE INDEX devices_by_identity ON devices (meteor_id, created_at);
  CREATE TABLE challenges (
    challenge BLOB PRIMARY KEY CHECK (length(challenge) = 32),
    meteor_id BLOB,
    device_id BLOB,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) STRICT;
  CREATE INDEX challenges_by_expiry ON challenges (expires_at);
  CREATE TABLE requests (
    id BLOB PRIMARY KEY CHECK (length(id) = 16),
    challenge BLOB NOT NULL,
    secret_hash BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    meteor_id BLOB,
    device_id BLOB
  ) STRICT;
  CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
    meteor_id BLOB NOT NULL,
    device_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) STRICT;
  CREATE INDEX sessions_by_device ON sessions (device_id);
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);`,
];

type Row = Record<string, unknown>;
const bytes = (v: unknown) => new Uint8Array(v as Uint8Array);
const nullableBytes = (v: unknown) => (v === null ? null : bytes(v));

function deviceOf(r: Row): DeviceRecord {
  return {
    deviceId: bytes(r.device_id),
    meteorId: bytes(r.meteor_id),
    publicKeys: { ed25519: bytes(r.ed25519), mldsa65: bytes(r.mldsa65) },
    name: r.name as string,
    certificate: bytes(r.certificate),
    createdAt: r.created_at as number,
    revokedAt: r.revoked_at as number | null,
  };
}

function challengeOf(r: Row): StoredChallenge {
  return {
    challenge: bytes(r.challenge),
    meteorId: nullableBytes(r.meteor_id),
    deviceId: nullableBytes(r.device_id),
    expiresAt: r.expires_at as number,
    usedAt: r.used_at as number | null,
  };
}

function sessionOf(r: Row): SessionRecord {
  return {
    tokenHash: bytes(r.token_hash),
    meteorId: bytes(r.meteor_id),
    deviceId: bytes(r.device_id),
    createdAt: r.created_at as number,
    expiresAt: r.expires_at as number,
    revokedAt: r.revoked_at as number | null,
  };
}

/** The auth store over `db`, migrated with {@link MIGRATIONS}. */
export class SqliteAuthStore implements AuthStore {
  readonly #db: DatabaseSync;

  /** The store of `db` (opened by the `database` component, or by a test). */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #run(sql: string, ...params: (Uint8Array | number | string | null)[]) {
    return prepared(this.#db, sql).run(...params);
  }

  #get(sql: string, ...params: (Uint8Array | number | string | null)[]): Row | undefined {
    return prepared(this.#db, sql).get(...params) as Row | undefined;
  }

  #transaction(work: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      work();
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  putIdentity(
    meteorId: Uint8Array,
    keys: SigningPublicKeys,
    document: Uint8Array,
    now: number,
  ): Promise<void> {
    this.#run(
      `INSERT INTO identities (meteor_id, ed25519, mldsa65, document, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (meteor_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      meteorId,
      keys.ed25519,
      keys.mldsa65,
      document,
      now,
    );
    return Promise.resolve();
  }

  identityKeys(meteorId: Uint8Array): Promise<SigningPublicKeys | undefined> {
    const r = this.#get("SELECT ed25519, mldsa65 FROM identities WHERE meteor_id = ?", meteorId);
    return Promise.resolve(r && { ed25519: bytes(r.ed25519), mldsa65: bytes(r.mldsa65) });
  }

  addDevice(d: DeviceRecord): Promise<boolean> {
    const { changes } = this.#run(
      `INSERT OR IGNORE INTO devices (device_id, meteor_id, ed25519, mldsa65, name, certificate, created_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      d.deviceId,
      d.meteorId,
      d.publicKeys.ed25519,
      d.publicKeys.mldsa65,
      d.name,
      d.certificate,
      d.createdAt,
      d.revokedAt,
    );
    return Promise.resolve(Number(changes) === 1);
  }

  device(deviceId: Uint8Array): Promise<DeviceRecord | undefined> {
    const r = this.#get("SELECT * FROM devices WHERE device_id = ?", deviceId);
    return Promise.resolve(r && deviceOf(r));
  }

  devices(meteorId: Uint8Array): Promise<DeviceRecord[]> {
    const rows = prepared(
      this.#db,
      "SELECT * FROM devices WHERE meteor_id = ? ORDER BY created_at, device_id",
    )
      .all(meteorId) as Row[];
    return Promise.resolve(rows.map(deviceOf));
  }

  revokeDevice(deviceId: Uint8Array, now: number): Promise<void> {
    this.#transaction(() => {
      this.#run(
        "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
        now,
        deviceId,
      );
      this.#run(
        "UPDATE sessions SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
        now,
        deviceId,
      );
    });
    return Promise.resolve();
  }

  putChallenge(c: ChallengeRecord): Promise<void> {
    this.#run(
      "INSERT INTO challenges (challenge, meteor_id, device_id, expires_at) VALUES (?, ?, ?, ?)",
      c.challenge,
      c.meteorId,
      c.deviceId,
      c.expiresAt,
    );
    return Promise.resolve();
  }

  challenge(challenge: Uint8Array): Promise<StoredChallenge | undefined> {
    const r = this.#get("SELECT * FROM challenges WHERE challenge = ?", challenge);
    return Promise.resolve(r && challengeOf(r));
  }

  consumeChallenge(
    challenge: Uint8Array,
    now: number,
    opens?: { session: SessionRecord; request?: Uint8Array },
  ): Promise<boolean> {
    let fresh = false;
    this.#transaction(() => {
      const { changes } = this.#run(
        "UPDATE challenges SET used_at = ? WHERE challenge = ? AND used_at IS NULL",
        now,
        challenge,
      );
      fresh = Number(changes) === 1;
      if (!fresh || !opens) return;
      const s = opens.session;
      this.#run(
        "INSERT INTO sessions (token_hash, meteor_id, device_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        s.tokenHash,
        s.meteorId,
        s.deviceId,
        s.createdAt,
        s.expiresAt,
      );
      if (opens.request) {
        this.#run(
          "UPDATE requests SET meteor_id = ?, device_id = ? WHERE id = ?",
          s.meteorId,
          s.deviceId,
          opens.request,
        );
      }
    });
    return Promise.resolve(fresh);
  }

  putRequest(q: RequestRecord): Promise<void> {
    this.#transaction(() => {
      this.#run(
        "INSERT INTO challenges (challenge, expires_at) VALUES (?, ?)",
        q.challenge,
        q.expiresAt,
      );
      this.#run(
        "INSERT INTO requests (id, challenge, secret_hash, expires_at) VALUES (?, ?, ?, ?)",
        q.id,
        q.challenge,
        q.secretHash,
        q.expiresAt,
      );
    });
    return Promise.resolve();
  }

  request(id: Uint8Array): Promise<RequestRecord | undefined> {
    const r = this.#get("SELECT * FROM requests WHERE id = ?", id);
    return Promise.resolve(
      r && {
        id: bytes(r.id),
        challenge: bytes(r.challenge),
        secretHash: bytes(r.secret_hash),
        expiresAt: r.expires_at as number,
        approved: r.meteor_id === null
          ? null
          : { meteorId: bytes(r.meteor_id), deviceId: bytes(r.device_id) },
      },
    );
  }

  session(tokenHash: Uint8Array): Promise<SessionRecord | undefined> {
    const r = this.#get("SELECT * FROM sessions WHERE token_hash = ?", tokenHash);
    return Promise.resolve(r && sessionOf(r));
  }

  revokeSession(tokenHash: Uint8Array, now: number): Promise<void> {
    this.#run(
      "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
      now,
      tokenHash,
    );
    return Promise.resolve();
  }

  purge(now: number): Promise<void> {
    this.#transaction(() => {
      this.#run("DELETE FROM challenges WHERE expires_at < ?", now);
      this.#run("DELETE FROM requests WHERE expires_at < ?", now);
      this.#run("DELETE FROM sessions WHERE expires_at < ?", now);
    });
    return Promise.resolve();
  }
}
