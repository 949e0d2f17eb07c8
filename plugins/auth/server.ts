/**
 * The auth server's protocol (docs/auth.md §4), independent of HTTP:
 * registration by identity document and device certificate, single-use
 * challenges bound to origin, identity and device, sessions stored only as
 * hashes, revocation, and login requests answered from another device (the
 * QR page). Every refusal is a MeteorError with a stable code and is
 * counted against the identity and the address that made it.
 *
 * @module
 */
import { constantTimeEqual, toHex, utf8 } from "../../core/bytes.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import {
  HYBRID_SIGNATURE_LENGTH,
  hybridVerify,
  type SigningPublicKeys,
} from "../../core/crypto/sign.ts";
import { MeteorError } from "../../core/errors.ts";
import {
  encodeDocument,
  formatMeteorId,
  MAX_CLOCK_SKEW_MS,
  MAX_DOCUMENT_TEXT_LENGTH,
  parseDocumentText,
  verifyDocument,
} from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { AuthErrorCode } from "./errors.ts";
import { RateLimiter } from "./_limits.ts";
import {
  AUTH_LABELS,
  CHALLENGE_LENGTH,
  DEVICE_ID_LENGTH,
  deviceIdOf,
  encodeLoginStatement,
  encodeRevocation,
  type LoginStatement,
  MAX_ORIGIN_LENGTH,
  parseCertificateBody,
} from "./protocol.ts";
import type { AuthStore, ChallengeRecord, DeviceRecord, SessionRecord } from "./store.ts";
import {
  base64Field,
  type Body,
  hex,
  hexField,
  integerField,
  iso,
  meteorIdField,
  stringField,
} from "./_wire.ts";

/** How long a challenge or login request is accepted: 60 s. */
export const CHALLENGE_TTL_MS = 60_000;
/** The largest device certificate accepted, in bytes. */
export const MAX_CERTIFICATE_BYTES = 8192;
/** The prefix of session tokens (and of a login page's secret, which becomes one). */
export const SESSION_PREFIX = "mts_";
/** Random bytes in a session token. */
const TOKEN_BYTES = 32;
/** Random bytes in a login request ID. */
export const REQUEST_ID_LENGTH = 16;

/** Rate limits, per window (docs/auth.md §5). */
export interface AuthLimits {
  /** The window, in seconds. */
  windowSeconds: number;
  /** Challenges (and registrations) per identity. */
  challengesPerIdentity: number;
  /** Challenges, registrations and login requests per address. */
  challengesPerAddress: number;
  /** Refused requests per identity. */
  failuresPerIdentity: number;
  /** Refused requests per address. */
  failuresPerAddress: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: AuthLimits = {
  windowSeconds: 60,
  challengesPerIdentity: 30,
  challengesPerAddress: 120,
  failuresPerIdentity: 10,
  failuresPerAddress: 30,
};

/** Options of {@link AuthServer}. */
export interface AuthServerOptions {
  /** Where it keeps its state. */
  store: AuthStore;
  /** The origin it answers for (`https://login.example`). */
  origin: string;
  /** How long a session lasts, in ms. */
  sessionTtlMs: number;
  /** Rate limits; default {@link DEFAULT_LIMITS}. */
  limits?: AuthLimits;
  /** Where logins and refusals are logged (IDs only, never a secret). */
  logger?: Logger;
  /** The clock, Unix ms; default Date.now. */
  now?: () => number;
}

/** Who a session belongs to, as the API shows it. */
export interface SessionView {
  /** The MeteorID text. */
  meteorId: string;
  /** The device ID, hex. */
  deviceId: string;
  /** ISO 8601. */
  expiresAt: string;
}

/** A device as the API shows it. */
export interface DeviceView {
  /** Hex. */
  deviceId: string;
  /** Its name. */
  name: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, or null while active. */
  revokedAt: string | null;
}

/** How a watched login request ended. */
export type RequestOutcome = { state: "approved"; session: SessionView } | { state: "expired" };

const refuse = (code: AuthErrorCode, message: string) => new MeteorError(code, message);

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const tokenHash = (token: string) => sha256(utf8(token));

function deviceView(d: DeviceRecord): DeviceView {
  return {
    deviceId: hex(d.deviceId),
    name: d.name,
    createdAt: iso(d.createdAt),
    revokedAt: d.revokedAt === null ? null : iso(d.revokedAt),
  };
}

/** The auth server's protocol over an {@link AuthStore}. */
export class AuthServer {
  /** The origin it answers for. */
  readonly origin: string;
  readonly #store: AuthStore;
  readonly #ttl: number;
  readonly #limits: AuthLimits;
  readonly #challenges: RateLimiter;
  readonly #failures: RateLimiter;
  readonly #logger?: Logger;
  readonly #now: () => number;
  readonly #approved = new EventTarget();

  /** A server over `options.store`. */
  constructor(options: AuthServerOptions) {
    this.origin = options.origin;
    this.#store = options.store;
    this.#ttl = options.sessionTtlMs;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#challenges = new RateLimiter(this.#limits.windowSeconds * 1000);
    this.#failures = new RateLimiter(this.#limits.windowSeconds * 1000);
    this.#logger = options.logger;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Refuses with E_AUTH_RATE_LIMITED when any of `keys` is at its limit of `limiter`. */
  #checkLimit(limiter: RateLimiter, keys: [string, number][], count: boolean): void {
    const now = this.#now();
    for (const [key, limit] of keys) {
      const n = count ? limiter.hit(key, now) : limiter.count(key, now);
      if (n > limit || (!count && n >= limit)) {
        throw refuse(
          "E_AUTH_RATE_LIMITED",
          `Cannot continue: too many requests (retry in ${limiter.retryAfter(key, now)} s)`,
        );
      }
    }
  }

  #failureKeys(address: string, meteorId?: Uint8Array): [string, number][] {
    const keys: [string, number][] = [[`ip:${address}`, this.#limits.failuresPerAddress]];
    if (meteorId) keys.push([`id:${hex(meteorId)}`, this.#limits.failuresPerIdentity]);
    return keys;
  }

  /** Runs `work`; a refusal is counted as a failure of `address` (and the identity) and logged. */
  async #guard<T>(
    what: string,
    address: string,
    meteorId: Uint8Array | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    this.#checkLimit(this.#failures, this.#failureKeys(address, meteorId), false);
    try {
      return await work();
    } catch (err) {
      if (err instanceof MeteorError && err.code !== "E_AUTH_RATE_LIMITED") {
        const now = this.#now();
        for (const [key] of this.#failureKeys(address, meteorId)) this.#failures.hit(key, now);
        this.#logger?.info(`${what} refused`, {
          code: err.code,
          address,
          ...(meteorId ? { meteorId: formatMeteorId(meteorId) } : {}),
        });
      }
      throw err;
    }
  }

  #countChallenge(address: string, meteorId?: Uint8Array): void {
    const keys: [string, number][] = [[`ip:${address}`, this.#limits.challengesPerAddress]];
    if (meteorId) keys.push([`id:${hex(meteorId)}`, this.#limits.challengesPerIdentity]);
    this.#checkLimit(this.#challenges, keys, true);
  }

  #checkOrigin(origin: string, action: string): void {
    // Not secret, but compared in constant time anyway: no comparison here depends on timing.
    if (!constantTimeEqual(utf8(origin), utf8(this.origin))) {
      throw refuse(
        "E_AUTH_ORIGIN",
        `Cannot ${action}: it was made for ${JSON.stringify(origin)}, not ${this.origin}`,
      );
    }
  }

  /** POST /register: enrols a device of an identity. */
  async register(
    body: Body,
    address: string,
  ): Promise<{ meteorId: string; deviceId: string; created: boolean }> {
    const action = "register device";
    this.#countChallenge(address);
    return await this.#guard("register", address, undefined, async () => {
      const doc = parseDocumentText(
        stringField(body, "document", MAX_DOCUMENT_TEXT_LENGTH, action),
      );
      const certificate = base64Field(body, "certificate", MAX_CERTIFICATE_BYTES, action);
      if (certificate.length <= HYBRID_SIGNATURE_LENGTH) {
        throw new MeteorError("E_MALFORMED", `Cannot ${action}: the certificate is truncated`);
      }
      const signed = certificate.subarray(0, certificate.length - HYBRID_SIGNATURE_LENGTH);
      const cert = parseCertificateBody(signed);
      const now = this.#now();
      await verifyDocument(doc, { expectedId: cert.meteorId, now });
      this.#checkOrigin(cert.origin, action);
      if (!constantTimeEqual(deviceIdOf(cert.publicKeys), cert.deviceId)) {
        throw refuse("E_AUTH_DEVICE", `Cannot ${action}: the device ID does not match its keys`);
      }
      if (cert.issuedAt > now + MAX_CLOCK_SKEW_MS) {
        throw refuse("E_AUTH_EXPIRED", `Cannot ${action}: the certificate is not valid yet`);
      }
      await this.#verify(
        doc.publicKeys,
        AUTH_LABELS.certificate,
        signed,
        certificate.subarray(signed.length),
        action,
      );
      await this.#store.putIdentity(doc.meteorId, doc.publicKeys, encodeDocument(doc), now);
      const created = await this.#store.addDevice({
        deviceId: cert.deviceId,
        meteorId: cert.meteorId,
        publicKeys: cert.publicKeys,
        name: cert.name,
        certificate,
        createdAt: now,
        revokedAt: null,
      });
      if (!created) this.#usable(await this.#store.device(cert.deviceId), cert.meteorId, action);
      this.#logger?.info("device registered", {
        meteorId: formatMeteorId(cert.meteorId),
        deviceId: hex(cert.deviceId),
      });
      return { meteorId: formatMeteorId(cert.meteorId), deviceId: hex(cert.deviceId), created };
    });
  }

  async #verify(
    keys: SigningPublicKeys,
    label: string,
    message: Uint8Array,
    signature: Uint8Array,
    action: string,
  ) {
    try {
      await hybridVerify(keys, label, message, signature);
    } catch {
      throw refuse("E_AUTH_SIGNATURE", `Cannot ${action}: the signature is invalid`);
    }
  }

  /** The device, checked to belong to `meteorId` and to be active. */
  #usable(device: DeviceRecord | undefined, meteorId: Uint8Array, action: string): DeviceRecord {
    if (!device || !constantTimeEqual(device.meteorId, meteorId)) {
      throw refuse("E_AUTH_DEVICE", `Cannot ${action}: no such device of this identity`);
    }
    if (device.revokedAt !== null) {
      throw refuse("E_AUTH_REVOKED", `Cannot ${action}: the device is revoked`);
    }
    return device;
  }

  /** POST /challenge: a fresh challenge for one device of an identity. */
  async challenge(
    body: Body,
    address: string,
  ): Promise<{ challenge: string; origin: string; expiresAt: string }> {
    const action = "issue challenge";
    const meteorId = meteorIdField(body, "meteorId", action);
    const deviceId = hexField(body, "deviceId", DEVICE_ID_LENGTH, action);
    this.#countChallenge(address, meteorId);
    return await this.#guard("challenge", address, meteorId, async () => {
      this.#usable(await this.#store.device(deviceId), meteorId, action);
      const record = {
        challenge: random(CHALLENGE_LENGTH),
        meteorId,
        deviceId,
        expiresAt: this.#now() + CHALLENGE_TTL_MS,
      };
      await this.#store.putChallenge(record);
      return {
        challenge: hex(record.challenge),
        origin: this.origin,
        expiresAt: iso(record.expiresAt),
      };
    });
  }

  /**
   * Checks a signed login statement and, when it holds, consumes its
   * challenge and opens `session(statement)` in one transaction. A challenge
   * is single use whatever the outcome: a refused answer consumes it too.
   * Checked in order: the challenge is known and unused, not expired, for
   * this origin, bound as `bound` requires, from an active device of the
   * identity, and the signature.
   */
  async #answer(
    body: Body,
    action: string,
    bound: (c: ChallengeRecord, s: LoginStatement) => void,
    opens: (s: LoginStatement) => { session: SessionRecord; request?: Uint8Array },
  ): Promise<LoginStatement> {
    const statement = {
      challenge: hexField(body, "challenge", CHALLENGE_LENGTH, action),
      meteorId: meteorIdField(body, "meteorId", action),
      deviceId: hexField(body, "deviceId", DEVICE_ID_LENGTH, action),
      origin: stringField(body, "origin", MAX_ORIGIN_LENGTH, action),
    };
    const signature = base64Field(body, "signature", HYBRID_SIGNATURE_LENGTH, action, true);
    const now = this.#now();
    const record = await this.#store.challenge(statement.challenge);
    if (!record) throw refuse("E_AUTH_CHALLENGE", `Cannot ${action}: no such challenge`);
    const replayed = () =>
      refuse("E_AUTH_REPLAYED", `Cannot ${action}: the challenge was used already`);
    if (record.usedAt !== null) throw replayed();
    try {
      if (now >= record.expiresAt) {
        throw refuse("E_AUTH_EXPIRED", `Cannot ${action}: the challenge has expired`);
      }
      this.#checkOrigin(statement.origin, action);
      bound(record, statement);
      const device = this.#usable(
        await this.#store.device(statement.deviceId),
        statement.meteorId,
        action,
      );
      await this.#verify(
        device.publicKeys,
        AUTH_LABELS.login,
        encodeLoginStatement(statement),
        signature,
        action,
      );
    } catch (err) {
      await this.#store.consumeChallenge(statement.challenge, now);
      throw err;
    }
    if (!await this.#store.consumeChallenge(statement.challenge, now, opens(statement))) {
      throw replayed();
    }
    return statement;
  }

  #session(meteorId: Uint8Array, deviceId: Uint8Array, tokenHash: Uint8Array): SessionRecord {
    const now = this.#now();
    return {
      tokenHash,
      meteorId,
      deviceId,
      createdAt: now,
      expiresAt: now + this.#ttl,
      revokedAt: null,
    };
  }

  #view(s: SessionRecord): SessionView {
    return {
      meteorId: formatMeteorId(s.meteorId),
      deviceId: hex(s.deviceId),
      expiresAt: iso(s.expiresAt),
    };
  }

  /** POST /login: answers a challenge; a new session. */
  async login(body: Body, address: string): Promise<SessionView & { session: string }> {
    const action = "log in";
    return await this.#guard("login", address, this.#claimed(body), async () => {
      const token = SESSION_PREFIX + toHex(random(TOKEN_BYTES));
      let session!: SessionRecord;
      const s = await this.#answer(body, action, (c, s) => {
        if (c.meteorId === null || c.deviceId === null) {
          throw refuse(
            "E_AUTH_CHALLENGE",
            `Cannot ${action}: the challenge belongs to a login request`,
          );
        }
        if (
          !constantTimeEqual(c.meteorId, s.meteorId) || !constantTimeEqual(c.deviceId, s.deviceId)
        ) {
          throw refuse(
            "E_AUTH_DEVICE",
            `Cannot ${action}: the challenge was issued to another device`,
          );
        }
      }, (s) => ({ session: session = this.#session(s.meteorId, s.deviceId, tokenHash(token)) }));
      this.#logger?.info("login", {
        meteorId: formatMeteorId(s.meteorId),
        deviceId: hex(s.deviceId),
      });
      return { session: token, ...this.#view(session) };
    });
  }

  /** The MeteorID a body claims, when it parses (for counting failures against it). */
  #claimed(body: Body): Uint8Array | undefined {
    try {
      return meteorIdField(body, "meteorId", "read");
    } catch {
      return undefined;
    }
  }

  /** The live session of a bearer token (GET /session and the routes that need one). */
  async session(token: string | undefined, address: string): Promise<SessionRecord> {
    return await this.#guard("session", address, undefined, async () => {
      if (
        token === undefined || !token.startsWith(SESSION_PREFIX) ||
        token.length !== SESSION_PREFIX.length + 2 * TOKEN_BYTES
      ) {
        throw refuse("E_AUTH_SESSION", "Cannot use session: no session token");
      }
      const hash = tokenHash(token);
      const s = await this.#store.session(hash);
      if (!s || !constantTimeEqual(s.tokenHash, hash)) {
        throw refuse("E_AUTH_SESSION", "Cannot use session: no such session");
      }
      if (s.revokedAt !== null) {
        throw refuse("E_AUTH_REVOKED", "Cannot use session: it was revoked");
      }
      if (this.#now() >= s.expiresAt) {
        throw refuse("E_AUTH_EXPIRED", "Cannot use session: it has expired");
      }
      return s;
    });
  }

  /** GET /session. */
  async sessionView(token: string | undefined, address: string): Promise<SessionView> {
    return this.#view(await this.session(token, address));
  }

  /** DELETE /session: logs out; the token stops working at once. */
  async logout(token: string | undefined, address: string): Promise<void> {
    const s = await this.session(token, address);
    await this.#store.revokeSession(s.tokenHash, this.#now());
  }

  /** GET /devices: the devices of the session's identity. */
  async devices(
    token: string | undefined,
    address: string,
  ): Promise<{ devices: (DeviceView & { current: boolean })[] }> {
    const s = await this.session(token, address);
    const devices = await this.#store.devices(s.meteorId);
    return {
      devices: devices.map((d) => ({
        ...deviceView(d),
        current: constantTimeEqual(d.deviceId, s.deviceId),
      })),
    };
  }

  /** POST /revoke: a signed revocation of one of an identity's devices. */
  async revoke(body: Body, address: string): Promise<{ deviceId: string; revokedAt: string }> {
    const action = "revoke device";
    return await this.#guard("revoke", address, this.#claimed(body), async () => {
      const statement = {
        meteorId: meteorIdField(body, "meteorId", action),
        deviceId: hexField(body, "deviceId", DEVICE_ID_LENGTH, action),
        by: body.by === undefined ? undefined : hexField(body, "by", DEVICE_ID_LENGTH, action),
        origin: stringField(body, "origin", MAX_ORIGIN_LENGTH, action),
        issuedAt: integerField(body, "issuedAt", action),
      };
      const signature = base64Field(body, "signature", HYBRID_SIGNATURE_LENGTH, action, true);
      this.#checkOrigin(statement.origin, action);
      const now = this.#now();
      if (Math.abs(now - statement.issuedAt) > MAX_CLOCK_SKEW_MS) {
        throw refuse("E_AUTH_EXPIRED", `Cannot ${action}: it was not signed in the last 5 minutes`);
      }
      const target = await this.#store.device(statement.deviceId);
      if (!target || !constantTimeEqual(target.meteorId, statement.meteorId)) {
        throw refuse("E_AUTH_DEVICE", `Cannot ${action}: no such device of this identity`);
      }
      const keys = statement.by === undefined
        ? await this.#store.identityKeys(statement.meteorId)
        : this.#usable(await this.#store.device(statement.by), statement.meteorId, action)
          .publicKeys;
      if (!keys) throw refuse("E_AUTH_DEVICE", `Cannot ${action}: the identity is not registered`);
      await this.#verify(
        keys,
        AUTH_LABELS.revocation,
        encodeRevocation(statement),
        signature,
        action,
      );
      if (target.revokedAt === null) await this.#store.revokeDevice(statement.deviceId, now);
      this.#logger?.info("device revoked", {
        meteorId: formatMeteorId(statement.meteorId),
        deviceId: hex(statement.deviceId),
      });
      return { deviceId: hex(statement.deviceId), revokedAt: iso(target.revokedAt ?? now) };
    });
  }

  /** POST /requests: a login request for the login page; `secret` becomes its session token on approval. */
  async createRequest(
    address: string,
  ): Promise<{ id: string; secret: string; url: string; expiresAt: string }> {
    this.#countChallenge(address);
    const secret = SESSION_PREFIX + toHex(random(TOKEN_BYTES));
    const record = {
      id: random(REQUEST_ID_LENGTH),
      challenge: random(CHALLENGE_LENGTH),
      secretHash: tokenHash(secret),
      expiresAt: this.#now() + CHALLENGE_TTL_MS,
      approved: null,
    };
    await this.#store.putRequest(record);
    return {
      id: hex(record.id),
      secret,
      url: requestUrl(this.origin, hex(record.id)),
      expiresAt: iso(record.expiresAt),
    };
  }

  async #request(id: string, action: string) {
    const bytes = hexField({ id }, "id", REQUEST_ID_LENGTH, action);
    const request = await this.#store.request(bytes);
    if (!request) throw refuse("E_AUTH_CHALLENGE", `Cannot ${action}: no such login request`);
    return request;
  }

  /** GET /requests/{id}: what a device signs to approve the request. */
  async requestInfo(
    id: string,
  ): Promise<
    { id: string; challenge: string; origin: string; expiresAt: string; approved: boolean }
  > {
    const r = await this.#request(id, "read login request");
    return {
      id,
      challenge: hex(r.challenge),
      origin: this.origin,
      expiresAt: iso(r.expiresAt),
      approved: r.approved !== null,
    };
  }

  /** POST /requests/{id}/approve: a device answers the request's challenge; the page's secret becomes a session. */
  async approve(
    id: string,
    body: Body,
    address: string,
  ): Promise<{ approved: true; meteorId: string; deviceId: string }> {
    const action = "approve login request";
    return await this.#guard("approve", address, this.#claimed(body), async () => {
      const request = await this.#request(id, action);
      const s = await this.#answer(
        body,
        action,
        (c) => {
          if (!constantTimeEqual(c.challenge, request.challenge)) {
            throw refuse(
              "E_AUTH_CHALLENGE",
              `Cannot ${action}: the challenge is not this request's`,
            );
          }
        },
        (s) => ({
          session: this.#session(s.meteorId, s.deviceId, request.secretHash),
          request: request.id,
        }),
      );
      this.#approved.dispatchEvent(new Event(id));
      this.#logger?.info("login approved", {
        meteorId: formatMeteorId(s.meteorId),
        deviceId: hex(s.deviceId),
      });
      return { approved: true, meteorId: formatMeteorId(s.meteorId), deviceId: hex(s.deviceId) };
    });
  }

  /**
   * Checks that `secret` is the page's secret of request `id`, then returns
   * a function that waits until the request is approved (resolving to who
   * logged in) or expires, or `signal` aborts.
   */
  async watch(
    id: string,
    secret: string | undefined,
  ): Promise<(signal: AbortSignal) => Promise<RequestOutcome>> {
    const request = await this.#request(id, "watch login request");
    if (secret === undefined || !constantTimeEqual(tokenHash(secret), request.secretHash)) {
      throw refuse("E_AUTH_SESSION", "Cannot watch login request: not its page's secret");
    }
    return async (signal) => {
      for (;;) {
        const r = await this.#store.request(request.id);
        if (r?.approved) {
          return { state: "approved", session: await this.sessionView(secret, "page") };
        }
        const left = request.expiresAt - this.#now();
        if (left <= 0 || signal.aborted) return { state: "expired" };
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.#approved.removeEventListener(id, done);
            signal.removeEventListener("abort", done);
            resolve();
          };
          // The re-check after a wake-up also sees an approval made by another server sharing the store.
          const timer = setTimeout(done, Math.min(left, 1000));
          this.#approved.addEventListener(id, done);
          signal.addEventListener("abort", done);
        });
      }
    };
  }

  /** Deletes what ended over ten minutes ago (kept that long so that late answers get E_AUTH_EXPIRED). */
  async purge(): Promise<void> {
    await this.#store.purge(this.#now() - 10 * 60_000);
  }
}

/** The URL a login page's QR code holds for request `id`. */
export function requestUrl(origin: string, id: string): string {
  return `${origin}/auth/v1?request=${id}`;
}

/** The request ID in a URL from {@link requestUrl}, or a bare ID; undefined otherwise. */
export function requestIdOf(text: string): { origin?: string; id: string } | undefined {
  if (/^[0-9a-f]{32}$/.test(text)) return { id: text };
  try {
    const url = new URL(text);
    const id = url.searchParams.get("request") ?? "";
    return /^[0-9a-f]{32}$/.test(id) ? { origin: url.origin, id } : undefined;
  } catch {
    return undefined;
  }
}
