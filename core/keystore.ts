/**
 * The keystore: the node's 32-byte seed in `<home>/keystore.json` (mode
 * 0600, home folder 0700), stored plain or encrypted under a passphrase
 * (docs/identity.md §5).
 *
 * Format, version 1 (JSON; hex strings are lower case):
 *
 *     {"version":1,"type":"plain","seed":"<64 hex>","id":"meteor1..."}
 *     {"version":1,"type":"scrypt-chacha20-poly1305",
 *      "scrypt":{"logN":17,"r":8,"p":1,"salt":"<32 hex>"},
 *      "nonce":"<24 hex>","ciphertext":"<96 hex>"}
 *
 * Encrypted: key = scrypt(NFC(passphrase) as UTF-8, salt, N = 2^logN, r, p,
 * 32 bytes) (RFC 7914), ciphertext = ChaCha20-Poly1305(key, nonce, seed,
 * aad = "meteor/v1/keystore") (RFC 8439 §2.8). A fresh salt and nonce on
 * every write; the default cost (N = 2^17, r = 8: 128 MiB) is memory-hard.
 * Plain: "id" is the MeteorID of the seed, checked on reading, so a damaged
 * seed is refused rather than read as another identity (the AEAD tag does
 * this for the encrypted form).
 *
 * Permissions: a plain keystore that users other than its owner may read or
 * write (any of mode 0o077, e.g. 0644) is refused, as ssh refuses such a
 * private key; an encrypted one is read, and {@link exposedKeystore} lets
 * the CLI warn about it.
 *
 * @module
 */
import { nodeCrypto } from "./crypto/_node_crypto.ts";
import { fromHex, toHex, utf8, wipe } from "./bytes.ts";
import { MeteorError } from "./errors.ts";
import { homePaths } from "./home.ts";
import { AEAD_NONCE_LENGTH, open, seal } from "./crypto/aead.ts";
import {
  deriveKeys,
  formatMeteorId,
  type NodeKeys,
  parseMeteorId,
  SEED_LENGTH,
  wipeNodeKeys,
} from "./identity/mod.ts";
import { ensurePrivateDir, readBoundedFile, writeSecretFile } from "./secret_file.ts";

/** The keystore format version. */
export const KEYSTORE_VERSION = 1;
/** Default scrypt cost: N = 2^17 with r = 8 uses 128 MiB and about half a second. */
export const SCRYPT_DEFAULT_LOG_N = 17;
/** The smallest scrypt cost accepted, for tests and weak devices: N = 2^10. */
export const SCRYPT_MIN_LOG_N = 10;
/** The largest scrypt cost accepted (1 GiB with r = 8), so a keystore cannot exhaust memory. */
export const SCRYPT_MAX_LOG_N = 20;
/** The largest keystore file read, in bytes. */
export const MAX_KEYSTORE_BYTES = 4096;
/** The permission bits of group and others: none may be set on a plain keystore. */
export const KEYSTORE_OTHERS_MASK = 0o077;

const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_LENGTH = 16;
const AAD = utf8("meteor/v1/keystore");
const PLAIN = "plain";
const ENCRYPTED = "scrypt-chacha20-poly1305";

/** Options for writing a keystore. */
export interface KeystoreOptions {
  /** Encrypt the seed under this passphrase; plain when absent. */
  passphrase?: string;
  /** scrypt cost as log2(N), from 10 to 20; default 17. */
  logN?: number;
}

const malformed = (why: string) => new MeteorError("E_MALFORMED", `Cannot read keystore: ${why}`);
const notInitialized = (path: string) =>
  new MeteorError(
    "E_NOT_INITIALIZED",
    `Cannot read keystore: ${path} does not exist (run meteor init)`,
  );

/** The MeteorID text of `seed`, stored beside a plain seed as its check. */
async function meteorIdText(seed: Uint8Array): Promise<string> {
  const keys = await deriveKeys(seed);
  try {
    return formatMeteorId(keys.meteorId);
  } finally {
    wipeNodeKeys(keys);
  }
}

/** What {@link openKeystore} found: the seed and, for a plain keystore, the keys that checked it. */
interface OpenedKeystore {
  /** The 32-byte seed; the caller wipes it. */
  seed: Uint8Array;
  /** The keys derived from the seed to check a plain keystore's "id"; the caller wipes them. */
  keys?: NodeKeys;
}

function scryptKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Uint8Array> {
  if (passphrase.length === 0) {
    throw new MeteorError("E_BAD_PASSPHRASE", "Cannot use passphrase: it is empty");
  }
  const password = utf8(passphrase.normalize("NFC"));
  const N = 2 ** logN;
  // RFC 7914 §6: scrypt needs 128 * N * r * p bytes of memory (plus a little).
  const maxmem = 128 * N * SCRYPT_R * SCRYPT_P + 1024 * 1024;
  return new Promise((resolve, reject) => {
    nodeCrypto().scrypt(password, salt, 32, { N, r: SCRYPT_R, p: SCRYPT_P, maxmem }, (err, key) => {
      wipe(password);
      if (err) reject(err);
      else resolve(new Uint8Array(key));
    });
  });
}

/**
 * The keystore JSON text for `seed`, encrypted when a passphrase is given.
 *
 * @example
 * ```ts
 * import { decodeKeystore, encodeKeystore } from "./keystore.ts";
 * const seed = new Uint8Array(32).fill(1);
 * const text = await encodeKeystore(seed, { passphrase: "correct horse", logN: 10 });
 * (await decodeKeystore(text, "correct horse")).length; // 32
 * ```
 */
export async function encodeKeystore(
  seed: Uint8Array,
  options: KeystoreOptions = {},
): Promise<string> {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) {
    throw new RangeError(`seed must be ${SEED_LENGTH} bytes`);
  }
  if (options.passphrase === undefined) {
    return JSON.stringify({
      version: KEYSTORE_VERSION,
      type: PLAIN,
      seed: toHex(seed),
      id: await meteorIdText(seed),
    });
  }
  const logN = options.logN ?? SCRYPT_DEFAULT_LOG_N;
  if (!Number.isInteger(logN) || logN < SCRYPT_MIN_LOG_N || logN > SCRYPT_MAX_LOG_N) {
    throw new RangeError(`logN must be ${SCRYPT_MIN_LOG_N} to ${SCRYPT_MAX_LOG_N}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH));
  const nonce = crypto.getRandomValues(new Uint8Array(AEAD_NONCE_LENGTH));
  const key = await scryptKey(options.passphrase, salt, logN);
  try {
    return JSON.stringify({
      version: KEYSTORE_VERSION,
      type: ENCRYPTED,
      scrypt: { logN, r: SCRYPT_R, p: SCRYPT_P, salt: toHex(salt) },
      nonce: toHex(nonce),
      ciphertext: toHex(seal(key, nonce, seed, AAD)),
    });
  } finally {
    wipe(key);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hexField(record: Record<string, unknown>, name: string, length: number): Uint8Array {
  const value = record[name];
  if (typeof value !== "string" || !/^[0-9a-f]*$/.test(value) || value.length !== 2 * length) {
    throw malformed(`"${name}" must be ${length} bytes of lower-case hex`);
  }
  return fromHex(value);
}

function checkKeys(record: Record<string, unknown>, keys: string[]): void {
  const actual = Object.keys(record).sort().join(",");
  if (actual !== [...keys].sort().join(",")) throw malformed(`fields must be ${keys.join(", ")}`);
}

/** The parsed JSON object of a keystore, with its version and type checked. */
function parseKeystoreJson(text: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw malformed("not JSON (truncated or corrupted?)");
  }
  if (!isRecord(raw)) throw malformed("not a JSON object");
  if (raw.version !== KEYSTORE_VERSION) throw malformed(`unsupported version ${raw.version}`);
  if (raw.type !== PLAIN && raw.type !== ENCRYPTED) throw malformed("unknown type");
  return raw;
}

/** Whether keystore text is encrypted, i.e. needs a passphrase to open. */
export function isKeystoreEncrypted(text: string): boolean {
  return parseKeystoreJson(text).type === ENCRYPTED;
}

/**
 * The seed in keystore text. A passphrase given for a plain keystore is
 * ignored.
 *
 * @throws {MeteorError} E_MALFORMED (not a keystore, truncated, bad field, a
 *   plain seed that does not match its MeteorID);
 *   E_BAD_PASSPHRASE (encrypted and no passphrase, or the passphrase is wrong
 *   or the ciphertext corrupted: the AEAD cannot tell these apart)
 */
export async function decodeKeystore(text: string, passphrase?: string): Promise<Uint8Array> {
  const { seed, keys } = await openKeystore(text, passphrase);
  if (keys) wipeNodeKeys(keys);
  return seed;
}

/**
 * Decodes keystore text as {@link decodeKeystore} does, keeping the keys a
 * plain keystore's check derived (so that {@link loadNodeKeys} derives once).
 */
async function openKeystore(text: string, passphrase?: string): Promise<OpenedKeystore> {
  const raw = parseKeystoreJson(text);
  if (raw.type === PLAIN) {
    checkKeys(raw, ["version", "type", "seed", "id"]);
    const seed = hexField(raw, "seed", SEED_LENGTH);
    let keys: NodeKeys;
    try {
      keys = await deriveKeys(seed);
    } catch (err) {
      wipe(seed);
      throw err;
    }
    if (raw.id !== formatMeteorId(keys.meteorId)) {
      wipe(seed);
      wipeNodeKeys(keys);
      throw malformed('"seed" does not match "id" (the file is damaged)');
    }
    return { seed, keys };
  }
  checkKeys(raw, ["version", "type", "scrypt", "nonce", "ciphertext"]);
  const params = raw.scrypt;
  if (!isRecord(params)) throw malformed('"scrypt" must be an object');
  checkKeys(params, ["logN", "r", "p", "salt"]);
  const logN = params.logN;
  if (
    typeof logN !== "number" || !Number.isInteger(logN) || logN < SCRYPT_MIN_LOG_N ||
    logN > SCRYPT_MAX_LOG_N || params.r !== SCRYPT_R || params.p !== SCRYPT_P
  ) {
    throw malformed("unsupported scrypt parameters");
  }
  const salt = hexField(params, "salt", SALT_LENGTH);
  const nonce = hexField(raw, "nonce", AEAD_NONCE_LENGTH);
  const ciphertext = hexField(raw, "ciphertext", SEED_LENGTH + 16);
  if (passphrase === undefined) {
    throw new MeteorError("E_BAD_PASSPHRASE", "Cannot unlock keystore: a passphrase is required");
  }
  const key = await scryptKey(passphrase, salt, logN);
  try {
    return { seed: open(key, nonce, ciphertext, AAD) };
  } catch {
    throw new MeteorError(
      "E_BAD_PASSPHRASE",
      "Cannot unlock keystore: wrong passphrase or corrupted keystore",
    );
  } finally {
    wipe(key);
  }
}

/** Where a keystore is open to users other than its owner: its path and its mode. */
export interface ExposedKeystore {
  /** The keystore file. */
  path: string;
  /** Its permission bits (e.g. 0o644). */
  mode: number;
}

/**
 * The keystore of the home at `homeDir` when group or others have any
 * permission on it (mode & {@link KEYSTORE_OTHERS_MASK}); undefined when it
 * is private, or where the file system has no Unix modes (Windows).
 *
 * @throws {MeteorError} E_NOT_INITIALIZED when there is no keystore; E_IO
 */
export async function exposedKeystore(homeDir: string): Promise<ExposedKeystore | undefined> {
  const path = homePaths(homeDir).keystore;
  let mode: number | null;
  try {
    mode = (await Deno.stat(path)).mode;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw notInitialized(path);
    throw new MeteorError("E_IO", `Cannot inspect ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (mode === null || (mode & KEYSTORE_OTHERS_MASK) === 0) return undefined;
  return { path, mode: mode & 0o777 };
}

/** The text of the home's keystore; a plain one open to other users is refused. */
async function readKeystoreText(homeDir: string): Promise<string> {
  const text = await readKeystoreFile(homeDir);
  const exposed = await exposedKeystore(homeDir);
  if (exposed !== undefined && !isKeystoreEncrypted(text)) {
    throw new MeteorError(
      "E_BAD_CONFIG",
      `Cannot use keystore: ${exposed.path} holds the seed unencrypted and other users ` +
        `may read it (mode ${exposed.mode.toString(8).padStart(4, "0")}): ` +
        `run chmod 600 ${exposed.path}`,
    );
  }
  return text;
}

async function readKeystoreFile(homeDir: string): Promise<string> {
  const path = homePaths(homeDir).keystore;
  let bytes: Uint8Array;
  try {
    bytes = await readBoundedFile(path, MAX_KEYSTORE_BYTES);
  } catch (err) {
    if (err instanceof MeteorError && err.code === "E_NOT_FOUND") throw notInitialized(path);
    if (err instanceof MeteorError && err.code === "E_TOO_LARGE") throw malformed("too large");
    throw err;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw malformed("not UTF-8");
  } finally {
    wipe(bytes);
  }
}

/**
 * Writes the keystore of the home at `homeDir`, creating the home (0700) if
 * needed; the file is 0600.
 *
 * @throws {MeteorError} E_EXISTS when a keystore exists and `force` is not set; E_IO
 */
export async function writeKeystore(
  homeDir: string,
  seed: Uint8Array,
  options: KeystoreOptions & { force?: boolean } = {},
): Promise<void> {
  const text = utf8(await encodeKeystore(seed, options));
  try {
    await ensurePrivateDir(homeDir);
    await writeSecretFile(homePaths(homeDir).keystore, text, { force: options.force });
  } finally {
    wipe(text);
  }
}

/** Whether the keystore of the home at `homeDir` needs a passphrase. */
export async function keystoreNeedsPassphrase(homeDir: string): Promise<boolean> {
  return isKeystoreEncrypted(await readKeystoreText(homeDir));
}

/**
 * The seed in the keystore of the home at `homeDir`. The caller wipes it.
 *
 * @throws {MeteorError} E_NOT_INITIALIZED, E_MALFORMED, E_BAD_PASSPHRASE, E_IO;
 *   E_BAD_CONFIG for a plain keystore open to other users
 */
export async function readSeed(homeDir: string, passphrase?: string): Promise<Uint8Array> {
  return await decodeKeystore(await readKeystoreText(homeDir), passphrase);
}

/**
 * The node keys of the home at `homeDir`: reads the seed, derives the keys
 * and wipes the seed. Wipe the result with `wipeNodeKeys` when done.
 *
 * @example
 * ```ts ignore
 * import { loadNodeKeys } from "./keystore.ts";
 * import { formatMeteorId, wipeNodeKeys } from "./identity/mod.ts";
 * const keys = await loadNodeKeys("/home/me/.meteor", Deno.env.get("METEOR_PASSPHRASE"));
 * console.log(formatMeteorId(keys.meteorId));
 * wipeNodeKeys(keys);
 * ```
 *
 * @throws {MeteorError} E_NOT_INITIALIZED, E_MALFORMED, E_BAD_PASSPHRASE, E_IO;
 *   E_BAD_CONFIG for a plain keystore open to other users
 */
export async function loadNodeKeys(homeDir: string, passphrase?: string): Promise<NodeKeys> {
  const { seed, keys } = await openKeystore(await readKeystoreText(homeDir), passphrase);
  try {
    return keys ?? await deriveKeys(seed);
  } finally {
    wipe(seed);
  }
}

/**
 * The MeteorID a plain keystore stores beside its seed (its "id" field),
 * read without decoding the seed or deriving any key: the anchor against
 * which the home's public identity cache is checked (docs/identity.md §5.1).
 * Undefined for an encrypted keystore, which stores no MeteorID. The ID is
 * checked against the seed whenever the seed is read ({@link readSeed}).
 *
 * @throws {MeteorError} E_NOT_INITIALIZED, E_MALFORMED (not a keystore, or
 *   an "id" that is not a MeteorID), E_IO; E_BAD_CONFIG for a plain keystore
 *   open to other users
 */
export async function keystoreMeteorId(homeDir: string): Promise<Uint8Array | undefined> {
  const raw = parseKeystoreJson(await readKeystoreText(homeDir));
  if (raw.type !== PLAIN) return undefined;
  checkKeys(raw, ["version", "type", "seed", "id"]);
  try {
    return parseMeteorId(raw.id as string);
  } catch {
    throw malformed('"id" is not a MeteorID');
  }
}
