/**
 * The device side of the auth protocol (docs/auth.md §2): the device key
 * made on the device and kept in the home, its certificate signed by the
 * identity key, and the calls a device makes to a server (register, log
 * in, approve a login request, list and revoke devices).
 *
 * Enrolments live in `<home>/auth/<first 16 bytes of SHA-256(origin), hex>.json`
 * (mode 0600, folder 0700): the origin, the IDs, and the device secret in
 * the keystore format (docs/identity.md §5), encrypted under the keystore's
 * passphrase and scrypt cost when the keystore is encrypted.
 *
 * @module
 */
import { join } from "node:path";
import { concat, fromHex, toBase64, toHex, utf8, wipe } from "../../core/bytes.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import { hybridSign, type SigningSeeds } from "../../core/crypto/sign.ts";
import { isMeteorError, MeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import {
  createDocument,
  formatDocument,
  formatMeteorId,
  type NodeKeys,
  parseMeteorId,
} from "../../core/identity/mod.ts";
import { decodeKeystore, encodeKeystore } from "../../core/keystore.ts";
import { ensurePrivateDir, readBoundedFile, writeSecretFile } from "../../core/secret_file.ts";
import {
  AUTH_LABELS,
  DEVICE_SECRET_LENGTH,
  devicePublic,
  deviceSeeds,
  encodeCertificateBody,
  encodeLoginStatement,
  encodeRevocation,
} from "./protocol.ts";
import type { DeviceView, SessionView } from "./server.ts";

/** The largest enrolment file read. */
const MAX_ENROLMENT_BYTES = 8192;

/** A device's enrolment at one server, as kept in the home. */
export interface Enrolment {
  /** The server origin. */
  origin: string;
  /** The identity, MeteorID text. */
  meteorId: string;
  /** The device ID, hex. */
  deviceId: string;
  /** The device name. */
  name: string;
  /** When it enrolled, ISO 8601. */
  createdAt: string;
}

/** The folder of a home's enrolments. */
export function enrolmentDir(home: string): string {
  return join(home, "auth");
}

function enrolmentPath(home: string, origin: string): string {
  return join(enrolmentDir(home), `${toHex(sha256(utf8(origin)).slice(0, 16))}.json`);
}

/** The scrypt cost of the home's keystore when it is encrypted (so the device key costs the same to open). */
async function keystoreLogN(home: string): Promise<number | undefined> {
  const text = new TextDecoder().decode(await readBoundedFile(homePaths(home).keystore, 4096));
  return (JSON.parse(text) as { scrypt?: { logN?: number } }).scrypt?.logN;
}

interface EnrolmentFile extends Enrolment {
  version: 1;
  key: unknown;
}

async function readEnrolmentFile(path: string): Promise<EnrolmentFile | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readBoundedFile(path, MAX_ENROLMENT_BYTES);
  } catch (err) {
    if (isMeteorError(err, "E_NOT_FOUND")) return undefined;
    throw err;
  }
  try {
    const file = JSON.parse(new TextDecoder().decode(bytes)) as EnrolmentFile;
    if (file.version !== 1 || typeof file.origin !== "string") throw new Error("bad version");
    return file;
  } catch {
    throw new MeteorError("E_MALFORMED", `Cannot read enrolment: ${path} is damaged`);
  } finally {
    wipe(bytes);
  }
}

/** The home's enrolment at `origin`, if it has one. */
export async function findEnrolment(home: string, origin: string): Promise<Enrolment | undefined> {
  const file = await readEnrolmentFile(enrolmentPath(home, origin));
  if (!file) return undefined;
  const { origin: o, meteorId, deviceId, name, createdAt } = file;
  return { origin: o, meteorId, deviceId, name, createdAt };
}

/** Every enrolment of the home, by origin. */
export async function listEnrolments(home: string): Promise<Enrolment[]> {
  const found: Enrolment[] = [];
  try {
    for await (const entry of Deno.readDir(enrolmentDir(home))) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const file = await readEnrolmentFile(join(enrolmentDir(home), entry.name));
      if (file) found.push(await findEnrolment(home, file.origin) as Enrolment);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return found.sort((a, b) => a.origin.localeCompare(b.origin));
}

/** The signing seeds of the home's device at `origin` (the caller wipes them). */
export async function deviceSigner(
  home: string,
  origin: string,
  passphrase?: string,
): Promise<SigningSeeds> {
  const file = await readEnrolmentFile(enrolmentPath(home, origin));
  if (!file) {
    throw new MeteorError(
      "E_NOT_FOUND",
      `Cannot use device key: this home is not enrolled at ${origin}`,
    );
  }
  const secret = await decodeKeystore(JSON.stringify(file.key), passphrase);
  try {
    return deviceSeeds(secret);
  } finally {
    wipe(secret);
  }
}

/** An error body from the server, as a MeteorError with its code. */
async function failure(response: Response): Promise<MeteorError> {
  const body = await response.json().catch(() => undefined) as {
    error?: { code?: string; message?: string };
  } | undefined;
  const code = typeof body?.error?.code === "string" ? body.error.code : "E_UNREACHABLE";
  const message = typeof body?.error?.message === "string"
    ? body.error.message
    : `Cannot call server: HTTP ${response.status}`;
  return new MeteorError(code as "E_UNREACHABLE", message);
}

/** A client of one auth server (its base is `<origin>/auth/v1`, or `base` when it is reached elsewhere). */
export class AuthClient {
  /** The origin the device signs for: the one it talks to. */
  readonly origin: string;
  readonly #base: string;

  /** A client of the server at `url` (any URL of it: only its origin counts). */
  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MeteorError("E_USAGE", `Cannot use server: "${url}" is not a URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new MeteorError("E_USAGE", `Cannot use server: "${url}" is not an http(s) URL`);
    }
    this.origin = parsed.origin;
    this.#base = `${parsed.origin}/auth/v1`;
  }

  /** Calls `path` under the base; resolves to the JSON answer, or throws the server's error. */
  async call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new MeteorError(
        "E_UNREACHABLE",
        `Cannot reach ${this.origin}: ${(err as Error).message}`,
      );
    }
    if (!response.ok) throw await failure(response);
    if (response.status === 204) return undefined as T;
    return await response.json() as T;
  }
}

/**
 * The body of POST /register for the device of `secret`: the identity's
 * document and the device certificate the identity `keys` sign, naming the
 * device, its public keys, `origin`, `name` and the time `now`.
 */
export async function registration(
  keys: NodeKeys,
  secret: Uint8Array,
  origin: string,
  name: string,
  now: number,
): Promise<{ document: string; certificate: string }> {
  const { publicKeys, deviceId } = await devicePublic(secret);
  const body = encodeCertificateBody({
    meteorId: keys.meteorId,
    deviceId,
    publicKeys,
    origin,
    name,
    issuedAt: now,
  });
  const signature = await hybridSign(keys.seeds, AUTH_LABELS.certificate, body);
  return {
    document: formatDocument(await createDocument(keys, { issuedAt: now })),
    certificate: toBase64(concat(body, signature)),
  };
}

/**
 * Enrols this home's device at `client`'s origin: makes a random device
 * secret, signs its certificate with the identity `keys`, registers it with
 * the identity document, and then saves it in the home.
 */
export async function enrol(
  home: string,
  client: AuthClient,
  keys: NodeKeys,
  options: { name: string; passphrase?: string; now?: number },
): Promise<Enrolment> {
  const secret = crypto.getRandomValues(new Uint8Array(DEVICE_SECRET_LENGTH));
  try {
    const now = options.now ?? Date.now();
    const request = await registration(keys, secret, client.origin, options.name, now);
    const { deviceId } = await client.call<{ deviceId: string }>("POST", "/register", request);
    const enrolment: Enrolment = {
      origin: client.origin,
      meteorId: formatMeteorId(keys.meteorId),
      deviceId,
      name: options.name,
      createdAt: new Date(now).toISOString(),
    };
    const logN = options.passphrase === undefined ? undefined : await keystoreLogN(home);
    const key = JSON.parse(await encodeKeystore(secret, { passphrase: options.passphrase, logN }));
    await ensurePrivateDir(enrolmentDir(home));
    await writeSecretFile(
      enrolmentPath(home, client.origin),
      utf8(JSON.stringify({ version: 1, ...enrolment, key })),
      { force: true },
    );
    return enrolment;
  } finally {
    wipe(secret);
  }
}

/** The body of POST /login (or /requests/{id}/approve): the statement answering `challenge` (hex), signed with the device's seeds. */
export async function signLogin(
  enrolment: Enrolment,
  seeds: SigningSeeds,
  challenge: string,
): Promise<Record<"challenge" | "meteorId" | "deviceId" | "origin" | "signature", string>> {
  const statement = {
    challenge: fromHex(challenge),
    meteorId: parseMeteorId(enrolment.meteorId),
    deviceId: fromHex(enrolment.deviceId),
    origin: enrolment.origin,
  };
  const signature = await hybridSign(seeds, AUTH_LABELS.login, encodeLoginStatement(statement));
  return {
    challenge,
    meteorId: enrolment.meteorId,
    deviceId: enrolment.deviceId,
    origin: enrolment.origin,
    signature: toBase64(signature),
  };
}

/** Logs in: a challenge, the signed answer, a session. */
export async function login(
  client: AuthClient,
  enrolment: Enrolment,
  seeds: SigningSeeds,
): Promise<SessionView & { session: string }> {
  const { challenge } = await client.call<{ challenge: string }>("POST", "/challenge", {
    meteorId: enrolment.meteorId,
    deviceId: enrolment.deviceId,
  });
  return await client.call("POST", "/login", await signLogin(enrolment, seeds, challenge));
}

/** Approves the login request `id` (shown on a login page) as this device. */
export async function approve(
  client: AuthClient,
  enrolment: Enrolment,
  seeds: SigningSeeds,
  id: string,
): Promise<{ approved: true; meteorId: string; deviceId: string }> {
  const { challenge } = await client.call<{ challenge: string }>("GET", `/requests/${id}`);
  return await client.call(
    "POST",
    `/requests/${id}/approve`,
    await signLogin(enrolment, seeds, challenge),
  );
}

/** The identity's devices at the server, through a session that is closed afterwards. */
export async function listDevices(
  client: AuthClient,
  enrolment: Enrolment,
  seeds: SigningSeeds,
): Promise<(DeviceView & { current: boolean })[]> {
  const { session } = await login(client, enrolment, seeds);
  try {
    return (await client.call<{ devices: (DeviceView & { current: boolean })[] }>(
      "GET",
      "/devices",
      undefined,
      session,
    ))
      .devices;
  } finally {
    await client.call("DELETE", "/session", undefined, session);
  }
}

/**
 * Revokes device `deviceId` (hex) of identity `meteorId` (text), signed by
 * the identity's seeds or, with `by`, by another device's.
 */
export async function revoke(
  client: AuthClient,
  meteorId: string,
  deviceId: string,
  seeds: SigningSeeds,
  by?: string,
): Promise<{ deviceId: string; revokedAt: string }> {
  if (!/^[0-9a-f]{32}$/.test(deviceId)) {
    throw new MeteorError(
      "E_USAGE",
      "Cannot revoke device: DEVICE_ID must be 32 lower-case hex digits",
    );
  }
  const issuedAt = Date.now();
  const bytes = encodeRevocation({
    meteorId: parseMeteorId(meteorId),
    deviceId: fromHex(deviceId),
    by: by === undefined ? undefined : fromHex(by),
    origin: client.origin,
    issuedAt,
  });
  const signature = toBase64(await hybridSign(seeds, AUTH_LABELS.revocation, bytes));
  return await client.call("POST", "/revoke", {
    meteorId,
    deviceId,
    ...(by === undefined ? {} : { by }),
    origin: client.origin,
    issuedAt,
    signature,
  });
}
