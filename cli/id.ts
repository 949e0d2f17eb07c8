/**
 * `meteor id`: prints this node's MeteorID, PeerId, age recipient and a
 * freshly signed identity document for sharing.
 *
 * @module
 */
import {
  ageRecipient,
  createDocument,
  formatDocument,
  formatMeteorId,
  wipeNodeKeys,
} from "../core/identity/mod.ts";
import { loadNodeKeys } from "../core/keystore.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import { unlockPassphrase } from "./_passphrase.ts";
import { renderQr } from "./_qr.ts";

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
  Document   a newly signed identity document (meteor-doc:...): your public
             keys, PeerId and addresses, valid for 30 days. Others check it
             against your MeteorID (meteor contacts add NAME DOCUMENT).
An encrypted keystore is unlocked with $METEOR_PASSPHRASE or a prompt.

Options:
  --home DIR          the node home
  --json              print {meteorId, peerId, ageRecipient, document,
                      documentExpiresAt} as JSON
  --qr                also draw the MeteorID as a QR code (in upper case,
                      which parses to the same ID)
  --address MULTIADDR put an address in the document (repeatable), e.g.
                      --address /dns4/example.org/tcp/4001

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
      doc = await createDocument(keys, { addresses: values.address });
    } finally {
      wipeNodeKeys(keys);
    }
    const meteorId = formatMeteorId(keys.meteorId);
    const result = {
      meteorId,
      peerId: keys.peerId,
      ageRecipient: ageRecipient(keys.publicKeys),
      document: formatDocument(doc),
      documentExpiresAt: new Date(doc.expiresAt).toISOString(),
    };
    if (values.json) {
      printJson(result);
      return 0;
    }
    if (values.qr) console.log(renderQr(meteorId.toUpperCase()));
    console.log(
      [
        `MeteorID   ${result.meteorId}`,
        `PeerId     ${result.peerId}`,
        `Recipient  ${result.ageRecipient}`,
        `Document   (valid until ${result.documentExpiresAt})`,
        result.document,
      ].join("\n"),
    );
    return 0;
  },
};
