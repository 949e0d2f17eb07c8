/**
 * `meteor id`: prints this node's MeteorID, PeerId, age recipient and a
 * freshly signed identity document for sharing. The document carries the
 * node's reachable addresses (those of the running daemon, else those its
 * config listens on), so that a peer who adds it can dial this node.
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
  MAX_ADDRESSES,
  wipeNodeKeys,
} from "../core/identity/mod.ts";
import { loadNodeKeys } from "../core/keystore.ts";
import { type InterfaceAddress, reachableAddresses } from "./_addresses.ts";
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
    return Deno.networkInterfaces();
  } catch {
    return [];
  }
}

/**
 * Where this node can be reached: the running daemon's listen addresses
 * (GET /v1/id), or, when no daemon answers for `home`, those derived from
 * its config's p2p.listen.
 */
async function nodeAddresses(home: string, peerId: string): Promise<string[]> {
  const client = await apiClientFor(home).catch((err) => {
    if (isMeteorError(err, "E_BAD_CONFIG") || isMeteorError(err, "E_NOT_INITIALIZED")) {
      return undefined; // no fixed API port or no token: no daemon to ask
    }
    throw err;
  });
  if (client && await client.running()) {
    return (await client.request<{ addresses: string[] }>("GET", "/v1/id")).addresses;
  }
  const config = await readConfig(homePaths(home).config);
  return reachableAddresses(config.p2p.listen, peerId, interfaces());
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
  Document   a newly signed identity document (meteor-doc:...): your public
             keys, PeerId and addresses, valid for 30 days. Others check it
             against your MeteorID (meteor contacts add NAME DOCUMENT).

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
    const keys = await loadNodeKeys(home, await unlockPassphrase(home));
    let doc;
    try {
      const found = await nodeAddresses(home, keys.peerId);
      const addresses = [...new Set([...values.address, ...found])].slice(0, MAX_ADDRESSES);
      doc = await createDocument(keys, { addresses });
    } finally {
      wipeNodeKeys(keys);
    }
    const meteorId = formatMeteorId(keys.meteorId);
    const result = {
      meteorId,
      peerId: keys.peerId,
      ageRecipient: ageRecipient(keys.publicKeys),
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
