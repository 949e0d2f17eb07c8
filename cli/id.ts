/**
 * `meteor id`: prints this node's MeteorID, PeerId, age recipient and an
 * identity document for sharing. The document carries the node's reachable
 * addresses (those of the running daemon, else those its config listens
 * on), so that a peer who adds it can dial this node. It comes from the
 * home's identity cache (cli/_identity_cache.ts) while that verifies, holds
 * the same addresses and is less than a day old: then the command derives
 * no key and signs nothing.
 *
 * @module
 */
import { isMeteorError } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_import.ts";
import { homePaths } from "../core/home.ts";
import {
  ageRecipient,
  createDocument,
  formatDocument,
  formatMeteorId,
  type IdentityDocument,
  MAX_ADDRESSES,
  wipeNodeKeys,
} from "../core/identity/mod.ts";
import { loadNodeKeys } from "../core/keystore.ts";
import type { InterfaceAddress } from "./_addresses.ts";
import { readIdentityCache, writeIdentityCache } from "./_identity_cache.ts";
import { apiClientFor } from "./_api.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import { readConfig } from "./_config.ts";
import { unlockPassphrase } from "./_passphrase.ts";

/** The machine's interface addresses; none when they cannot be listed. */
function interfaces(): InterfaceAddress[] {
  try {
    return Deno.networkInterfaces().map(({ family, address }) => ({ family, address }));
  } catch {
    return [];
  }
}

/**
 * How long `meteor id` reuses a document it signed (from the home's identity
 * cache) instead of signing a new one: 24 hours, so the document it prints
 * is valid for at least 29 of its 30 days.
 */
export const DOCUMENT_REUSE_MS = 24 * 60 * 60 * 1000;

/**
 * What this node's addresses are made from: the running daemon's listen
 * addresses (GET /v1/id), or, when no daemon answers for `home`, its
 * config's p2p.listen and the machine's interfaces; with the `--address`
 * values in front. Its JSON text is the identity cache's `source`: the same
 * source gives the same addresses, so a cached document made from it is
 * reused without computing them again (and without loading multiaddr).
 */
type AddressSource =
  | { extra: string[]; daemon: string[] }
  | { extra: string[]; listen: string[]; interfaces: InterfaceAddress[] };

async function addressSource(home: string, extra: string[]): Promise<AddressSource> {
  const client = await apiClientFor(home).catch((err) => {
    if (isMeteorError(err, "E_BAD_CONFIG") || isMeteorError(err, "E_NOT_INITIALIZED")) {
      return undefined; // no fixed API port or no token: no daemon to ask
    }
    throw err;
  });
  if (client && await client.running()) {
    const { addresses } = await client.request<{ addresses: string[] }>("GET", "/v1/id");
    return { extra, daemon: addresses };
  }
  const config = await readConfig(homePaths(home).config);
  return { extra, listen: config.p2p.listen, interfaces: interfaces() };
}

/** The document addresses of `source` for the node `peerId`. */
async function addressesOf(source: AddressSource, peerId: string): Promise<string[]> {
  let found: string[];
  if ("daemon" in source) {
    found = source.daemon;
  } else {
    const { reachableAddresses } = await lazyImport<typeof import("./_addresses.ts")>(
      new URL("./_addresses.ts", import.meta.url),
    );
    found = reachableAddresses(source.listen, peerId, source.interfaces);
  }
  return [...new Set([...source.extra, ...found])].slice(0, MAX_ADDRESSES);
}

/**
 * This node's identity document for `source`: the cached one when it
 * verifies, was made from the same source and was signed less than
 * {@link DOCUMENT_REUSE_MS} ago; otherwise a new one, signed with the
 * keystore's keys (unlocked with $METEOR_PASSPHRASE or a prompt), which
 * then replaces the cache.
 */
async function currentDocument(home: string, source: AddressSource): Promise<IdentityDocument> {
  const key = JSON.stringify(source);
  const now = Date.now();
  const cached = await readIdentityCache(home, now);
  if (
    cached && cached.source === key && cached.document.issuedAt <= now &&
    now - cached.document.issuedAt < DOCUMENT_REUSE_MS
  ) {
    return cached.document;
  }
  const keys = await loadNodeKeys(home, await unlockPassphrase(home));
  try {
    const doc = await createDocument(keys, { addresses: await addressesOf(source, keys.peerId) });
    await writeIdentityCache(home, formatDocument(doc), key);
    return doc;
  } finally {
    wipeNodeKeys(keys);
  }
}

/** `meteor id`. */
export const idCommand: Command = {
  name: "id",
  summary: "Show this node's MeteorID, PeerId, age recipient and identity document",
  help: `Usage: meteor id [--home DIR] [--json] [--qr] [--address MULTIADDR ...]

Prints this node's identity:
  MeteorID   the 32-byte ID others add you by (meteor1..., typos are detected)
  PeerId     the libp2p peer ID of your Ed25519 key
  Recipient  your age recipient (age1pq1...): anyone can encrypt files to you
             with age >= 1.3 or meteor encrypt
  Addresses  the multiaddrs peers can dial to reach you
  Document   your signed identity document (meteor-doc:...): your public
             keys, PeerId and addresses, valid for 30 days. Others check it
             against your MeteorID (meteor contacts add NAME DOCUMENT). It is
             signed anew when the addresses change or a day has passed;
             until then the one kept in the home's identity.json is shown.

Share the document rather than the bare MeteorID: its addresses are how a
peer's node reaches yours. Two nodes that know each other only by MeteorID
cannot connect until one of them has the other's document (or a bootstrap
address, or the other connects first). The addresses are the running
daemon's listen addresses; when the daemon is not running they come from
config.json p2p.listen (0.0.0.0 stands for 127.0.0.1 and this machine's
network addresses; an address on port 0 is known only once the daemon runs).
An encrypted keystore is unlocked with $METEOR_PASSPHRASE or a prompt.

Options:
  --home DIR          the node home
  --json              print {meteorId, peerId, ageRecipient, addresses,
                      document, documentExpiresAt} as JSON
  --qr                also draw the MeteorID as a QR code (in upper case,
                      which parses to the same ID)
  --address MULTIADDR also put this address in the document, first
                      (repeatable), e.g. --address /dns4/example.org/tcp/4001

Examples:
  meteor id
  meteor id --qr
  meteor id --json | jq -r .meteorId`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      qr: { type: "boolean", default: false },
      address: { type: "string", multiple: true, default: [] },
    });
    refuseExtraArguments(positionals, 0);
    const home = homeFrom(values);
    const doc = await currentDocument(home, await addressSource(home, values.address));
    const meteorId = formatMeteorId(doc.meteorId);
    const result = {
      meteorId,
      peerId: doc.peerId,
      ageRecipient: ageRecipient(doc.publicKeys),
      addresses: doc.addresses,
      document: formatDocument(doc),
      documentExpiresAt: new Date(doc.expiresAt).toISOString(),
    };
    if (values.json) {
      printJson(result);
      return 0;
    }
    // Imported here: only --qr draws one.
    if (values.qr) {
      console.log(
        (await lazyImport<typeof import("./_qr.ts")>(new URL("./_qr.ts", import.meta.url)))
          .renderQr(meteorId.toUpperCase()),
      );
    }
    console.log(
      [
        `MeteorID   ${result.meteorId}`,
        `PeerId     ${result.peerId}`,
        `Recipient  ${result.ageRecipient}`,
        ...(result.addresses.length > 0
          ? result.addresses.map((a, i) => `${i === 0 ? "Addresses" : "         "}  ${a}`)
          : [
            "Addresses  none known: start 'meteor daemon' (or give --address) so that peers " +
            "can reach you",
          ]),
        `Document   (valid until ${result.documentExpiresAt})`,
        result.document,
      ].join("\n"),
    );
    return 0;
  },
};
