/**
 * Parsing age recipient and identity strings of the native types Meteor
 * supports (hybrid `age1pq1...` / `AGE-SECRET-KEY-PQ-1...` and X25519
 * `age1...` / `AGE-SECRET-KEY-1...`), and age identity files.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";
import { HybridIdentity, HybridRecipient } from "./mlkem768x25519.ts";
import type { Identity, Recipient } from "./stanza.ts";
import { X25519Identity, X25519Recipient } from "./x25519.ts";

/** The longest identity file Meteor reads, in characters. */
export const MAX_IDENTITY_FILE_LENGTH = 1 << 20;

/**
 * Parses an age recipient string; throws MeteorError E_BAD_RECIPIENT (or
 * E_BAD_KEY for a hybrid key failing the FIPS 203 check).
 *
 * @example
 * ```ts
 * import { parseRecipient } from "./keys.ts";
 * parseRecipient("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
 * ```
 */
export function parseRecipient(text: string): Recipient {
  if (text.startsWith("age1pq1")) return HybridRecipient.parse(text);
  if (text.startsWith("age1")) return X25519Recipient.parse(text);
  throw new MeteorError("E_BAD_RECIPIENT", "Cannot parse age recipient: not age1... or age1pq1...");
}

/** Parses an age identity string; rejects with MeteorError E_MALFORMED. */
export async function parseIdentity(text: string): Promise<Identity> {
  if (text.startsWith("AGE-SECRET-KEY-PQ-1")) return HybridIdentity.parse(text);
  if (text.startsWith("AGE-SECRET-KEY-1")) return await X25519Identity.parse(text);
  throw new MeteorError("E_MALFORMED", "Cannot parse age identity: not AGE-SECRET-KEY-...");
}

/**
 * Parses an age identity file: one identity per line, blank lines and lines
 * starting with `#` ignored. Throws MeteorError E_MALFORMED naming the line
 * (never its content), or E_TOO_LARGE.
 */
export async function parseIdentityFile(text: string): Promise<Identity[]> {
  if (text.length > MAX_IDENTITY_FILE_LENGTH) {
    throw new MeteorError("E_TOO_LARGE", "Cannot parse identity file: larger than 1 MiB");
  }
  const identities: Identity[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      identities.push(await parseIdentity(line));
    } catch {
      throw new MeteorError(
        "E_MALFORMED",
        `Cannot parse identity file: line ${i + 1} is not an identity`,
      );
    }
  }
  if (identities.length === 0) {
    throw new MeteorError("E_MALFORMED", "Cannot parse identity file: no identities");
  }
  return identities;
}
