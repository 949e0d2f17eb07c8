/**
 * The home's public identity cache, `<home>/identity.json` (docs/identity.md
 * §5.1): the last identity document `meteor id` signed, and what its
 * addresses were made from. With it, `meteor id` and `-r self` need neither
 * the seed nor any key derivation or signature, the costliest part of their
 * start-up (the first ML-DSA signature of a process alone takes 35 to 80 ms
 * here, docs/benchmarks.md "CLI start-up").
 *
 * The cache is trusted only as far as it is checked: its document must
 * verify in full (readDocument: the keys hash to the MeteorID, the PeerId is
 * the Ed25519 key's, both signatures, not expired) against the MeteorID the
 * plain keystore stores. A cache that is missing, unreadable, tampered with,
 * expired or another identity's is not used, and the next `meteor id`
 * replaces it. An encrypted keystore stores no MeteorID, so its home has no
 * usable cache: its commands derive the keys after the passphrase, as before.
 *
 * @module
 */
import { isMeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import {
  type IdentityDocument,
  type PublicKeyBundle,
  readDocument,
  wipeNodeKeys,
} from "../core/identity/mod.ts";
import { keystoreMeteorId, loadNodeKeys } from "../core/keystore.ts";
import { unlockPassphrase } from "./_passphrase.ts";
import { readBoundedFile, writeSecretFile } from "../core/secret_file.ts";
import { utf8 } from "../core/bytes.ts";

/** The cache format version. */
export const IDENTITY_CACHE_VERSION = 1;
/** The largest cache file read, in bytes (a document's text is at most about 22 KiB). */
const MAX_CACHE_BYTES = 64 * 1024;

/** A verified cache entry. */
export interface CachedIdentity {
  /** The document, verified against the keystore's MeteorID. */
  document: IdentityDocument;
  /** Its text form, as stored. */
  text: string;
  /**
   * What the document's addresses were made from (the caller's own key,
   * e.g. the daemon's listen addresses or the config and interfaces): a
   * document is reused only for the same source.
   */
  source: string;
}

/**
 * The home's cached identity, verified at `now` against the MeteorID in the
 * keystore; undefined when there is none to trust (see the module notes).
 * Errors reading the keystore itself (none, malformed, open to others) are
 * thrown, as every command that reads it throws them.
 *
 * @throws {MeteorError} what {@link keystoreMeteorId} throws
 */
export async function readIdentityCache(
  home: string,
  now: number = Date.now(),
): Promise<CachedIdentity | undefined> {
  const expectedId = await keystoreMeteorId(home);
  if (expectedId === undefined) return undefined;
  let raw: unknown;
  try {
    const bytes = await readBoundedFile(homePaths(home).identity, MAX_CACHE_BYTES);
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined; // missing, unreadable or not JSON: not a cache
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const { version, document, source } = raw as Record<string, unknown>;
  if (
    version !== IDENTITY_CACHE_VERSION || typeof document !== "string" ||
    typeof source !== "string"
  ) {
    return undefined;
  }
  try {
    return { document: await readDocument(document, { expectedId, now }), text: document, source };
  } catch (err) {
    if (isMeteorError(err)) return undefined; // tampered, expired or another identity's
    throw err;
  }
}

/**
 * Stores `text` (a document this node just signed) and its address `source`
 * as the home's cache (mode 0600, replaced atomically). The cache is an
 * optimisation: a home where it cannot be written (read-only) works as
 * before, so a failure to write is not an error.
 */
export async function writeIdentityCache(home: string, text: string, source: string) {
  const json = JSON.stringify({ version: IDENTITY_CACHE_VERSION, document: text, source });
  try {
    await writeSecretFile(homePaths(home).identity, utf8(json), { force: true });
  } catch (err) {
    if (!isMeteorError(err, "E_IO")) throw err;
  }
}

/** A node's public identity: its MeteorID and public keys. */
export interface PublicIdentity {
  /** The 32-byte MeteorID. */
  meteorId: Uint8Array;
  /** The public keys that hash to it. */
  publicKeys: PublicKeyBundle;
}

/**
 * This node's MeteorID and public keys (for `-r self`): the cached
 * document's when the cache verifies, else derived from the keystore's seed
 * (unlocked with $METEOR_PASSPHRASE or a prompt when encrypted).
 *
 * @throws {MeteorError} what reading the keystore throws
 */
export async function ownPublicIdentity(home: string): Promise<PublicIdentity> {
  const cached = await readIdentityCache(home);
  if (cached) return { meteorId: cached.document.meteorId, publicKeys: cached.document.publicKeys };
  const keys = await loadNodeKeys(home, await unlockPassphrase(home));
  wipeNodeKeys(keys);
  return { meteorId: keys.meteorId, publicKeys: keys.publicKeys };
}
