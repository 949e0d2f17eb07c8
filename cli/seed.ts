/**
 * `meteor seed export` and `meteor seed import`: move the 32-byte seed, the
 * whole identity, between machines as 64 hex characters (or a QR code).
 *
 * @module
 */
import { fromHex, toHex, wipe } from "../core/bytes.ts";
import { MeteorError } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_import.ts";
import { ageIdentity, deriveSeeds, SEED_LENGTH } from "../core/identity/mod.ts";
import { readSeed } from "../core/keystore.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import { refuseExistingKeystore, SETUP_OPTIONS, storeSeed } from "./init.ts";
import { promptHidden, unlockPassphrase } from "./_passphrase.ts";

/** The warning printed to stderr on every export. */
export const SEED_WARNING: string =
  "WARNING: this seed is your whole Meteor identity. Anyone who sees it can read your " +
  "messages and act as you. Store it offline; never paste it into chats or websites.";

/** The warning printed to stderr when exporting the age identity. */
export const AGE_IDENTITY_WARNING: string =
  "WARNING: this age identity decrypts everything sent to this node. Keep it secret.";

/** The most bytes read from stdin for an imported seed (hex plus whitespace). */
const MAX_SEED_INPUT = 1024;

/** Parses a seed typed or pasted as hex (surrounding whitespace ignored). */
export function parseSeedHex(text: string): Uint8Array {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== 2 * SEED_LENGTH) {
    throw new MeteorError(
      "E_MALFORMED",
      `Cannot import seed: expected ${2 * SEED_LENGTH} hex characters`,
    );
  }
  return fromHex(hex);
}

function ageIdentityOf(seed: Uint8Array): string {
  const seeds = deriveSeeds(seed);
  try {
    return ageIdentity(seeds);
  } finally {
    wipe(seeds.ed25519, seeds.xwing, seeds.mldsa65);
  }
}

async function readStdin(): Promise<string> {
  const buffer = new Uint8Array(MAX_SEED_INPUT + 1);
  let length = 0;
  try {
    while (length < buffer.length) {
      const n = await Deno.stdin.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    if (length > MAX_SEED_INPUT) {
      throw new MeteorError("E_TOO_LARGE", "Cannot import seed: input is too long");
    }
    return new TextDecoder().decode(buffer.subarray(0, length));
  } finally {
    wipe(buffer);
  }
}

/** `meteor seed export`. */
export const seedExportCommand: Command = {
  name: "seed export",
  summary: "Print the seed (the whole identity) as hex, for backup or moving",
  help: `Usage: meteor seed export [--home DIR] [--qr] [--age] [--json]

Prints the node's 32-byte seed as 64 hex characters on stdout, and a warning
on stderr. The seed is your whole identity: whoever has it is you. Restore it
elsewhere with meteor seed import. An encrypted keystore is unlocked with
$METEOR_PASSPHRASE or a prompt.

Options:
  --home DIR  the node home
  --qr        also draw the seed as a QR code (upper-case hex), to scan into
              another device; make sure no one else can see the screen
  --age       print instead the node's age identity (AGE-SECRET-KEY-PQ-1...):
              only its decryption key, so age >= 1.3 can open files sent to
              you (age -d -i FILE); it cannot sign as you
  --json      print {"seed": HEX} (with --age, {"ageIdentity": ...})

Examples:
  meteor seed export > /media/usb/meteor-seed.txt
  meteor seed export --qr
  meteor seed export --age > node.agekey`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      qr: { type: "boolean", default: false },
      age: { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 0);
    const home = homeFrom(values);
    const seed = await readSeed(home, await unlockPassphrase(home));
    try {
      const text = values.age ? ageIdentityOf(seed) : toHex(seed);
      console.error(values.age ? AGE_IDENTITY_WARNING : SEED_WARNING);
      if (values.json) {
        printJson(values.age ? { ageIdentity: text } : { seed: text });
      } else {
        if (values.qr) {
          console.log(
            (await lazyImport<typeof import("./_qr.ts")>(new URL("./_qr.ts", import.meta.url)))
              .renderQr(text.toUpperCase()),
          );
        }
        console.log(text);
      }
      return 0;
    } finally {
      wipe(seed);
    }
  },
};

/** `meteor seed import`. */
export const seedImportCommand: Command = {
  name: "seed import",
  summary: "Restore an identity from its hex seed into a node home",
  help: `Usage: meteor seed import [HEX] [--home DIR] [--force] [--passphrase] [--json]

Stores a seed exported with meteor seed export (64 hex characters) in the
node home's keystore, creating the home's config and API token if missing,
and prints the restored MeteorID. The seed is read from HEX, or else from
stdin (typed at a terminal without echo). Prefer stdin: an argument stays in
your shell history.

Options:
  --home DIR    the node home
  --force       replace an existing keystore (its identity is lost unless
                you exported its seed)
  --passphrase  encrypt the seed under a passphrase ($METEOR_PASSPHRASE or
                asked for twice)
  --json        print the result as JSON

Examples:
  meteor seed import < /media/usb/meteor-seed.txt
  meteor seed import --home /srv/meteor --passphrase < seed.txt`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, SETUP_OPTIONS);
    refuseExtraArguments(positionals, 1);
    const home = homeFrom(values);
    await refuseExistingKeystore(home, values.force);
    const text = positionals[0] ??
      (Deno.stdin.isTerminal()
        ? await promptHidden("Seed (64 hex characters): ")
        : await readStdin());
    return await storeSeed(home, parseSeedHex(text), values);
  },
};
