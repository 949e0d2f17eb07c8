/**
 * What `meteor encrypt -r` accepts, resolved to age recipients:
 *
 * - `self`: this node's own X-Wing key (`age1pq1...` of the keystore, read from
 *   the home's identity cache when it verifies: cli/_identity_cache.ts);
 * - an age recipient string: `age1pq1...` (hybrid) or `age1...` (X25519);
 * - an identity document, inline (`meteor-doc:...`) or a file holding one
 *   (what `meteor id` or `meteor id --json` prints, or a bare document in text
 *   or binary form; cli/_identity_file.ts): verified (signatures, ID) before
 *   its X-Wing key is used;
 * - a MeteorID (`meteor1...`) or the name of a contact whose identity
 *   document is stored (core/store): the document's keys must hash to the
 *   contact's MeteorID, so a contact's key cannot be swapped.
 *
 * @module
 */
import { HybridRecipient, parseRecipient, type Recipient } from "../core/age/mod.ts";
import { isMeteorError, MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import {
  DOCUMENT_TEXT_PREFIX,
  formatMeteorId,
  type IdentityDocument,
  looksLikeMeteorId,
  parseMeteorId,
  readDocument,
} from "../core/identity/mod.ts";
import { type Contact, type Contacts, openStore } from "../core/store/mod.ts";
import { exists } from "./_fs.ts";
import { ownPublicIdentity } from "./_identity_cache.ts";
import { readIdentityFile } from "./_identity_file.ts";
import { isAgeSecretKey, redact } from "./command.ts";

/** A resolved recipient and how it was found (for `--json`). */
export interface ResolvedRecipient {
  /** What the user wrote. */
  input: string;
  /** How it resolved. */
  kind: "self" | "age" | "document" | "contact";
  /** The age recipient string. */
  recipient: string;
  /** The MeteorID, when the recipient is a Meteor identity. */
  meteorId?: string;
}

function bad(input: string, state: string): MeteorError {
  return new MeteorError(
    "E_BAD_RECIPIENT",
    redact(`Cannot resolve recipient "${input}": ${state}`),
  );
}

/** The Bech32 alphabet (BIP 173): no "1", "b", "i" or "o". */
const BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/** The kinds of age recipient, longest prefix first, with the length of a valid one. */
const AGE_RECIPIENTS = [
  { prefix: "age1pq1", kind: "an age1pq1 (post-quantum) recipient", length: 1959 },
  { prefix: "age1", kind: "an age1 (X25519) recipient", length: 62 },
] as const;

/** `input` shortened for an error message: an age1pq1 recipient is 1,959 characters. */
function abbreviated(input: string): string {
  return input.length <= 24 ? input : `${input.slice(0, 12)}...${input.slice(-8)}`;
}

/**
 * What is wrong with `input`, an `age1...` string that does not parse as a
 * recipient, checked in the order a person can fix it: a character outside
 * the Bech32 alphabet (which one, where), mixed case, the length, the
 * checksum (a mistyped character).
 */
function recipientProblem(input: string): string {
  const lower = input.toLowerCase();
  const { prefix, kind, length } = AGE_RECIPIENTS.find((r) => lower.startsWith(r.prefix))!;
  const at = [...lower].findIndex((c, i) => i >= prefix.length && !BECH32_ALPHABET.includes(c));
  if (at >= 0) {
    return `character ${JSON.stringify(input[at])} at position ${at + 1} is not in the ` +
      `Bech32 alphabet (it has no "1", "b", "i" or "o"), so ${kind} cannot contain it`;
  }
  if (input !== lower && input !== input.toUpperCase()) {
    return `it mixes upper and lower case (${kind} is all lower case)`;
  }
  if (input.length !== length) {
    return `it is ${input.length.toLocaleString("en-US")} characters long, but ${kind} is ` +
      `${length.toLocaleString("en-US")}: part of it is missing or extra (copy it whole)`;
  }
  return `its checksum does not match: a character is mistyped (${kind} is best copied, not typed)`;
}

/** The age recipient `input` (`age1pq1...` or `age1...`), or E_BAD_RECIPIENT saying what is wrong. */
function ageRecipient(input: string): Recipient {
  try {
    return parseRecipient(input);
  } catch (err) {
    if (!isMeteorError(err, "E_BAD_RECIPIENT")) throw err;
    throw bad(abbreviated(input), recipientProblem(input));
  }
}

/**
 * The hybrid recipient of a verified identity document. An expired document
 * still proves its keys (they hash to its MeteorID and it is signed), so
 * expiry alone is accepted here: encryption needs only the key.
 */
async function fromDocument(input: Uint8Array | string, expectedId?: Uint8Array) {
  let doc: IdentityDocument;
  try {
    doc = await readDocument(input, { expectedId });
  } catch (err) {
    if (!isMeteorError(err, "E_EXPIRED")) throw err;
    doc = await readDocument(input, { expectedId, now: 0 });
  }
  return { recipient: new HybridRecipient(doc.publicKeys.xwing), meteorId: doc.meteorId };
}

/** The contact named `name`; undefined when there is none or it cannot be a contact name. */
function contactNamed(contacts: Contacts | undefined, name: string): Contact | undefined {
  try {
    return contacts?.get(name);
  } catch (err) {
    if (isMeteorError(err, "E_MALFORMED")) return undefined;
    throw err;
  }
}

/** Resolves every `-r` value of `home`, in order; throws E_BAD_RECIPIENT naming the first bad one. */
export async function resolveRecipients(
  inputs: readonly string[],
  home: string,
): Promise<{ recipients: Recipient[]; resolved: ResolvedRecipient[] }> {
  const recipients: Recipient[] = [];
  const resolved: ResolvedRecipient[] = [];
  let store: ReturnType<typeof openStore> | undefined;
  const contacts = async () => {
    if (store === undefined) {
      const path = homePaths(home).state;
      if (!(await exists(path))) return undefined;
      store = openStore(path);
    }
    return store.contacts;
  };
  const add = (
    input: string,
    kind: ResolvedRecipient["kind"],
    recipient: Recipient,
    meteorId?: Uint8Array,
  ) => {
    recipients.push(recipient);
    resolved.push({
      input,
      kind,
      recipient: String(recipient),
      ...(meteorId ? { meteorId: formatMeteorId(meteorId) } : {}),
    });
  };
  const fromContact = async (input: string, contact: Contact | undefined) => {
    if (contact === undefined) throw bad(input, "not a contact");
    if (contact.document === null) {
      throw bad(input, `no identity document stored for contact "${contact.name}" yet`);
    }
    const { recipient } = await fromDocument(contact.document, contact.meteorId);
    add(input, "contact", recipient, contact.meteorId);
  };

  try {
    for (const input of inputs) {
      if (input === "self") {
        const { meteorId, publicKeys } = await ownPublicIdentity(home);
        add(input, "self", new HybridRecipient(publicKeys.xwing), meteorId);
      } else if (isAgeSecretKey(input)) {
        throw bad(input, "this is a secret key; -r takes its public recipient (age1...)");
      } else if (input.startsWith("age1")) {
        add(input, "age", ageRecipient(input));
      } else if (input.startsWith(DOCUMENT_TEXT_PREFIX)) {
        const { recipient, meteorId } = await fromDocument(input);
        add(input, "document", recipient, meteorId);
      } else if (looksLikeMeteorId(input)) {
        await fromContact(input, (await contacts())?.byId(parseMeteorId(input)));
      } else {
        const byName = contactNamed(await contacts(), input);
        if (byName !== undefined) {
          await fromContact(input, byName);
        } else if (await exists(input)) {
          const { recipient, meteorId } = await fromDocument(await readIdentityFile(input));
          add(input, "document", recipient, meteorId);
        } else {
          throw bad(input, "not a recipient, contact or identity document file");
        }
      }
    }
  } finally {
    store?.close();
  }
  return { recipients, resolved };
}
