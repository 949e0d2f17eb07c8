/**
 * `meteor encrypt`: encrypts a file or stdin to one or more recipients in
 * the age v1 format (docs/file-format.md), readable by age >= 1.3.
 *
 * @module
 */
import { encryptFile, encryptStream, type Recipient, ScryptRecipient } from "../core/age/mod.ts";
import { MeteorError } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_import.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import {
  fromStream,
  openInput,
  payloadEngine,
  type Produce,
  progress,
  writeOutput,
} from "./_age_io.ts";
import { type ResolvedRecipient, resolveRecipients } from "./_recipients.ts";

/** The recipients of the command: the `-r` values resolved, or the passphrase of `-p` alone. */
async function recipientsOf(
  values: { recipient: string[]; passphrase: boolean },
  home: string,
): Promise<{ recipients: Recipient[]; resolved: ResolvedRecipient[] }> {
  if (!values.passphrase) {
    if (values.recipient.length === 0) {
      throw new MeteorError("E_USAGE", "Cannot encrypt: give at least one -r RECIPIENT, or -p");
    }
    return await resolveRecipients(values.recipient, home);
  }
  if (values.recipient.length > 0) {
    // age spec: an scrypt stanza must be the only one in its header.
    throw new MeteorError(
      "E_USAGE",
      "Cannot encrypt: -p encrypts to a passphrase alone (drop the -r recipients)",
    );
  }
  // Loaded only for -p: the prompts pull in the keystore code, which -r never needs.
  const { AGE_PASSPHRASE_ENV, newPassphrase } = await lazyImport<typeof import("./_passphrase.ts")>(
    new URL("./_passphrase.ts", import.meta.url),
  );
  const passphrase = await newPassphrase(AGE_PASSPHRASE_ENV, "file passphrase");
  return { recipients: [new ScryptRecipient(passphrase)], resolved: [] };
}

/** `meteor encrypt`. */
export const encryptCommand: Command = {
  name: "encrypt",
  summary: "Encrypt a file to recipients (age format, post-quantum)",
  help: `Usage: meteor encrypt -r RECIPIENT [-r RECIPIENT ...] [-a] [-o OUT] [IN]
       meteor encrypt -p [-a] [-o OUT] [IN]

Encrypts IN (a file; stdin when absent or "-") to every RECIPIENT and writes
an age v1 file to OUT (stdout when absent). Anyone holding one of the
recipients' identities can decrypt it: with meteor decrypt, or with
age >= 1.3 (hybrid post-quantum recipients) or any age (X25519 recipients).
The input is streamed: memory stays small whatever its size.

A RECIPIENT is one of:
  self               this node's own key (to encrypt for yourself)
  age1pq1...         an age hybrid post-quantum recipient (X-Wing)
  age1...            an age X25519 recipient (not post-quantum)
  meteor1...         the MeteorID of a contact whose identity document is stored
  NAME               the name of such a contact
  meteor-doc:...     an identity document (checked before use)
  FILE               a file holding an identity document (meteor id prints one)
Post-quantum (age1pq1, Meteor) and X25519 (age1) recipients cannot be mixed
in one file: it would only be as safe as X25519 (age >= 1.3 refuses too).

With -p, the file is encrypted to a passphrase instead (age's scrypt
recipient, work factor 2^18: any age decrypts it with the passphrase), taken
from $METEOR_AGE_PASSPHRASE or typed twice at a prompt. A passphrase is
always the file's only recipient.

Options:
  -r, --recipient R  encrypt to R (repeat for several recipients)
  -p, --passphrase   encrypt to a passphrase (alone; no -r)
  -a, --armor        write ASCII armor (text: "-----BEGIN AGE ENCRYPTED FILE-----")
  -o, --output OUT   write to OUT, only once complete (refuses to replace it
                     unless --force)
      --force        replace OUT if it exists
      --home DIR     the node home (for self and contacts)
      --json         print {output, bytes, armor, passphrase, recipients}
                     (needs -o)

A progress bar is drawn on stderr for large inputs when it is a terminal.
The payload is sealed on the CPU, or on WebGPU when the home's config.json
sets "cipher": {"path": "gpu"} (the bytes are the same either way).

Examples:
  meteor encrypt -r self -o notes.txt.age notes.txt
  meteor encrypt -r alice -r bob -a < report.pdf > report.pdf.age
  meteor encrypt -r age1pq1... -o backup.tar.age backup.tar
  meteor encrypt -p -o secrets.txt.age secrets.txt`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      recipient: { type: "string", short: "r", multiple: true, default: [] },
      passphrase: { type: "boolean", short: "p", default: false },
      armor: { type: "boolean", short: "a", default: false },
      output: { type: "string", short: "o" },
      force: { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 1);
    const toStdout = values.output === undefined || values.output === "-";
    if (values.json && toStdout) {
      throw new MeteorError(
        "E_USAGE",
        "Cannot print --json: the encrypted file goes to stdout (use -o)",
      );
    }
    if (toStdout && !values.armor && Deno.stdout.isTerminal()) {
      throw new MeteorError(
        "E_USAGE",
        "Cannot write binary to a terminal: use -a for text or -o OUT",
      );
    }
    const { recipients, resolved } = await recipientsOf(values, homeFrom(values));
    const input = await openInput(positionals[0]);
    const engine = await payloadEngine(homeFrom(values), input.size);
    const bar = progress("encrypting", input.size);
    input.onRead = bar.count;
    let bytes: number;
    try {
      const { pool, stream } = engine;
      const produce: Produce = pool !== null && !values.armor
        ? (sink) => encryptFile(input.source, sink, recipients, { pool })
        : async (sink) =>
          await fromStream(
            await encryptStream(input.stream(), recipients, { ...stream, armor: values.armor }),
          )(sink);
      bytes = await writeOutput(produce, values.output, values.force);
    } finally {
      bar.end();
      engine.close();
      input.close();
      for (const r of recipients) (r as Partial<Disposable>)[Symbol.dispose]?.();
    }
    if (values.json) {
      printJson({
        output: values.output,
        bytes,
        armor: values.armor,
        passphrase: values.passphrase,
        recipients: resolved,
      });
    }
    return 0;
  },
};
