/**
 * Passphrases for the CLI: the keystore's from `METEOR_PASSPHRASE`, an age
 * file's (`meteor encrypt -p`, `meteor decrypt -p`) from
 * `METEOR_AGE_PASSPHRASE`, or else typed at a terminal prompt without echo.
 * Commands that unlock a keystore (`meteor id`, `meteor seed export`,
 * `meteor daemon`) use {@link unlockPassphrase}.
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";
import { exposedKeystore, keystoreNeedsPassphrase } from "../core/keystore.ts";

/** The environment variable a passphrase may come from (scripts, services). */
export const PASSPHRASE_ENV = "METEOR_PASSPHRASE";
/** The environment variable an age file's passphrase (scrypt recipient) may come from. */
export const AGE_PASSPHRASE_ENV = "METEOR_AGE_PASSPHRASE";

const encoder = new TextEncoder();

/**
 * Reads one line from the terminal without echoing it; the prompt goes to
 * stderr. Ctrl-C or Ctrl-D abort with E_BAD_PASSPHRASE. Without a terminal
 * (E_NO_TTY), the error names `env`, the variable to set instead.
 */
export async function promptHidden(prompt: string, env = PASSPHRASE_ENV): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new MeteorError("E_NO_TTY", `Cannot read passphrase: no terminal (set ${env})`);
  }
  await Deno.stderr.write(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buffer = new Uint8Array(64);
  try {
    read: for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (const byte of buffer.subarray(0, n)) {
        if (byte === 0x0d || byte === 0x0a) return new TextDecoder().decode(new Uint8Array(bytes));
        if (byte === 0x03 || byte === 0x04) break read; // Ctrl-C, Ctrl-D
        if (byte === 0x7f || byte === 0x08) {
          // Backspace removes one UTF-8 character: continuation bytes, then the lead byte.
          while (((bytes.at(-1) ?? 0) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
        } else {
          bytes.push(byte);
        }
      }
    }
    throw new MeteorError("E_BAD_PASSPHRASE", "Cannot read passphrase: cancelled");
  } finally {
    Deno.stdin.setRaw(false);
    buffer.fill(0);
    bytes.fill(0);
    await Deno.stderr.write(encoder.encode("\n"));
  }
}

/** The keystores this process has already warned about. */
const warned = new Set<string>();

/**
 * Warns once per process, on stderr, that the encrypted keystore of `home`
 * is open to other users: only the passphrase protects it then (a plain one
 * is refused by core/keystore.ts).
 */
async function warnIfExposed(home: string): Promise<void> {
  const exposed = await exposedKeystore(home);
  if (exposed === undefined || warned.has(exposed.path)) return;
  warned.add(exposed.path);
  const mode = exposed.mode.toString(8).padStart(4, "0");
  console.error(
    `meteor: warning: ${exposed.path} may be read by other users (mode ${mode}); ` +
      `only its passphrase protects the seed: run chmod 600 ${exposed.path}`,
  );
}

/**
 * The passphrase needed to unlock the keystore of `home`, or undefined when
 * it is not encrypted: `METEOR_PASSPHRASE` if set, else a prompt. Warns
 * once when an encrypted keystore is open to other users.
 */
export async function unlockPassphrase(home: string): Promise<string | undefined> {
  if (!(await keystoreNeedsPassphrase(home))) return undefined;
  await warnIfExposed(home);
  return Deno.env.get(PASSPHRASE_ENV) ?? await promptHidden("Keystore passphrase: ");
}

/**
 * A new passphrase to protect a keystore (or, with `env` AGE_PASSPHRASE_ENV
 * and `what` "file passphrase", an age file): `env` if set, else typed twice
 * at a prompt. Refuses an empty or mismatched one.
 */
export async function newPassphrase(
  env = PASSPHRASE_ENV,
  what = "keystore passphrase",
): Promise<string> {
  const fromEnv = Deno.env.get(env);
  if (fromEnv !== undefined) {
    if (fromEnv === "") {
      throw new MeteorError("E_BAD_PASSPHRASE", `Cannot use passphrase: ${env} is empty`);
    }
    return fromEnv;
  }
  const first = await promptHidden(`New ${what}: `, env);
  if (first === "") throw new MeteorError("E_BAD_PASSPHRASE", "Cannot use passphrase: it is empty");
  const second = await promptHidden("Repeat passphrase: ", env);
  if (first !== second) {
    throw new MeteorError("E_BAD_PASSPHRASE", "Cannot use passphrase: the two entries differ");
  }
  return first;
}

/** The passphrase of an age file to decrypt: `METEOR_AGE_PASSPHRASE` if set, else a prompt. */
export async function filePassphrase(): Promise<string> {
  return Deno.env.get(AGE_PASSPHRASE_ENV) ??
    await promptHidden("File passphrase: ", AGE_PASSPHRASE_ENV);
}
