/**
 * `meteor decrypt`: decrypts an age file (binary or armored) with this
 * node's key or with age identity files.
 *
 * @module
 */
import {
  decryptFile,
  decryptStream,
  HybridIdentity,
  type Identity,
  parseIdentityFile,
  SCRYPT_STANZA_TYPE,
  ScryptIdentity,
} from "../core/age/mod.ts";
import { MeteorError } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_import.ts";
import { readBoundedFile } from "../core/secret_file.ts";
import {
  type Command,
  homeFrom,
  isAgeSecretKey,
  parseCommandArgs,
  printJson,
  redact,
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

/**
 * The passphrase prompts, loaded only when a command needs one: they pull in
 * the keystore and the identity code (libp2p keys), which decrypting with
 * `-i FILE` never uses (start-up and memory, docs/benchmarks.md "Files").
 */
function passphrases() {
  return lazyImport<typeof import("./_passphrase.ts")>(
    new URL("./_passphrase.ts", import.meta.url),
  );
}

/** The node's own X-Wing identity, from the keystore of `home` (loaded only for it). */
async function nodeIdentity(home: string): Promise<HybridIdentity> {
  const [{ loadNodeKeys }, { wipeNodeKeys }, { unlockPassphrase }] = await Promise.all([
    lazyImport<typeof import("../core/keystore.ts")>(
      new URL("../core/keystore.ts", import.meta.url),
    ),
    lazyImport<typeof import("../core/identity/mod.ts")>(
      new URL("../core/identity/mod.ts", import.meta.url),
    ),
    passphrases(),
  ]);
  const keys = await loadNodeKeys(home, await unlockPassphrase(home));
  try {
    return new HybridIdentity(keys.seeds.xwing);
  } finally {
    wipeNodeKeys(keys);
  }
}

/** The largest identity file read. */
const MAX_IDENTITY_FILE_BYTES = 1 << 20;

/**
 * The last identity tried: it unwraps nothing, and turns "no identity
 * matched" into what to do about it. A file with an scrypt stanza (age spec:
 * then the only one) needs -p; with -p, such a file did not open because the
 * passphrase is wrong (or the stanza damaged: its AEAD cannot tell), and a
 * file without one is not passphrase-encrypted.
 */
function diagnosis(withPassphrase: boolean): Identity {
  return {
    unwrap(stanzas) {
      const scrypt = stanzas.some((s) => s.args[0] === SCRYPT_STANZA_TYPE);
      if (scrypt && withPassphrase) {
        throw new MeteorError("E_BAD_PASSPHRASE", "Cannot decrypt: wrong passphrase");
      }
      if (scrypt || withPassphrase) {
        throw new MeteorError(
          "E_NO_MATCHING_IDENTITY",
          scrypt
            ? "Cannot decrypt: this file is passphrase-encrypted: use -p"
            : "Cannot decrypt: this file is not passphrase-encrypted (drop -p)",
        );
      }
      return Promise.resolve(null);
    },
  };
}

/** Wipes the secrets of the identities that hold some (every Disposable one). */
function disposeAll(keys: readonly object[]): void {
  for (const key of keys) (key as Partial<Disposable>)[Symbol.dispose]?.();
}

async function identities(
  files: string[],
  home: string,
  passphrase: boolean,
): Promise<Identity[]> {
  if (passphrase) {
    if (files.length > 0) {
      throw new MeteorError(
        "E_USAGE",
        "Cannot decrypt: -p and -i cannot be combined (a passphrase is a file's only recipient)",
      );
    }
    return [new ScryptIdentity(await (await passphrases()).filePassphrase())];
  }
  if (files.length === 0) return [await nodeIdentity(home)];
  const out: Identity[] = [];
  for (const path of files) {
    if (isAgeSecretKey(path)) {
      throw new MeteorError(
        "E_USAGE",
        "Cannot read identity file: -i takes the name of a file that holds the key, not the " +
          "key itself (the key given is not shown)",
      );
    }
    const bytes = await readBoundedFile(path, MAX_IDENTITY_FILE_BYTES, { pipes: true });
    try {
      out.push(...await parseIdentityFile(new TextDecoder().decode(bytes)));
    } catch (err) {
      if (err instanceof MeteorError) {
        throw new MeteorError(err.code, redact(`${err.message} (${path})`));
      }
      throw err;
    } finally {
      bytes.fill(0);
    }
  }
  return out;
}

/** `meteor decrypt`. */
export const decryptCommand: Command = {
  name: "decrypt",
  summary: "Decrypt an age file with this node's key or identity files",
  help: `Usage: meteor decrypt [-i IDENTITY_FILE ...] [-o OUT] [IN]
       meteor decrypt -p [-o OUT] [IN]

Decrypts IN (an age file, binary or ASCII-armored; stdin when absent or "-")
and writes the plaintext to OUT (stdout when absent). By default the key is
this node's own (unlocked with $METEOR_PASSPHRASE or a prompt when the
keystore is encrypted); -i uses age identity files instead (lines
AGE-SECRET-KEY-PQ-1... or AGE-SECRET-KEY-1..., # comments); -p decrypts a
passphrase-encrypted file (meteor encrypt -p, age -p), with the passphrase
from $METEOR_AGE_PASSPHRASE or a prompt.

With -o, the plaintext goes to a temporary file next to OUT that replaces OUT
only when the whole file decrypted and verified: a damaged or truncated file
leaves no partial plaintext in OUT. On stdout, only verified 64 KiB chunks are
written, but a damaged file may stop midway: check the exit status.

The payload is opened on the CPU, or on WebGPU when the home's config.json
sets "cipher": {"path": "gpu"}.

Errors (exit status 1, one line on stderr with the code):
  E_NO_MATCHING_IDENTITY  the file is not encrypted to any key given (or it
                          is passphrase-encrypted and -p was not given)
  E_BAD_PASSPHRASE        -p: the passphrase is wrong
  E_HEADER_INVALID        not an age file, or a malformed header
  E_HEADER_MAC            the header was altered
  E_DECRYPT_FAILED        the payload is damaged, truncated or altered
  E_ARMOR_INVALID         the ASCII armor is malformed

Options:
  -i, --identity FILE  use the identities in FILE (repeatable)
  -p, --passphrase     the file is encrypted to a passphrase
  -o, --output OUT     write to OUT (refuses to replace it unless --force)
      --force          replace OUT if it exists
      --home DIR       the node home (for the default key)
      --json           print {output, bytes} (needs -o)

Examples:
  meteor decrypt -o notes.txt notes.txt.age
  meteor decrypt -i ~/.age/key.txt < report.pdf.age > report.pdf
  meteor decrypt -p -o secrets.txt secrets.txt.age`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      identity: { type: "string", short: "i", multiple: true, default: [] },
      passphrase: { type: "boolean", short: "p", default: false },
      output: { type: "string", short: "o" },
      force: { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 1);
    if (values.json && (values.output === undefined || values.output === "-")) {
      throw new MeteorError(
        "E_USAGE",
        "Cannot print --json: the plaintext goes to stdout (use -o)",
      );
    }
    const keys = [
      ...await identities(values.identity, homeFrom(values), values.passphrase),
      diagnosis(values.passphrase),
    ];
    const input = await openInput(positionals[0]);
    const engine = await payloadEngine(homeFrom(values), input.size);
    const bar = progress("decrypting", input.size);
    input.onRead = bar.count;
    let bytes: number;
    try {
      const { pool, stream } = engine;
      const produce: Produce = pool !== null
        ? (sink) => decryptFile(input.source, sink, keys, { pool })
        : async (sink) =>
          await fromStream(await decryptStream(input.stream(), keys, stream!))(sink);
      bytes = await writeOutput(produce, values.output, values.force);
    } finally {
      bar.end();
      engine.close();
      input.close();
      disposeAll(keys);
    }
    if (values.json) printJson({ output: values.output, bytes });
    return 0;
  },
};
