/**
 * `meteor contacts add | list | remove`: the node's address book (the
 * prototype's add_peer / remove_peer). When the home's daemon is running the
 * commands go through its API (so the running p2p plugin hears of the change
 * and fetches a document for a contact added by ID); otherwise they work on
 * the home's state database directly. Either way the result is the same.
 *
 * @module
 */
import {
  type ContactJson,
  contactJson,
  refuseOwnId,
  resolveContactIdentity,
} from "../core/contacts.ts";
import { isMeteorError, MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { toBase64 } from "../core/bytes.ts";
import { DOCUMENT_TEXT_PREFIX, looksLikeMeteorId } from "../core/identity/mod.ts";
import { type NodeStore, openStore } from "../core/store/mod.ts";
import { keystoreMeteorId, loadNodeKeys } from "../core/keystore.ts";
import { wipeNodeKeys } from "../core/identity/mod.ts";
import { PASSPHRASE_ENV } from "./_passphrase.ts";
import { apiClientFor } from "./_api.ts";
import { readIdentityFile } from "./_identity_file.ts";
import { type Command, homeFrom, parseCommandArgs, printJson, redact } from "./command.ts";

/** Where contact commands apply: the daemon's API or the state database. */
interface ContactsBackend {
  /** "daemon" or "store", for the report. */
  via: "daemon" | "store";
  add(name: string, id: string): Promise<ContactJson>;
  list(): Promise<ContactJson[]>;
  remove(name: string): Promise<void>;
  close(): void;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * This node's MeteorID when its keystore opens without asking (plain, or
 * METEOR_PASSPHRASE set); undefined otherwise, or with no keystore.
 */
async function ownMeteorId(home: string): Promise<Uint8Array | undefined> {
  const passphrase = Deno.env.get(PASSPHRASE_ENV);
  try {
    // A plain keystore stores its MeteorID: no key derivation for this check.
    const stored = await keystoreMeteorId(home);
    if (stored !== undefined) return stored;
    if (passphrase === undefined) return undefined;
    const keys = await loadNodeKeys(home, passphrase);
    wipeNodeKeys(keys);
    return keys.meteorId;
  } catch (err) {
    if (isMeteorError(err, "E_NOT_INITIALIZED")) return undefined;
    throw err;
  }
}

function storeBackend(home: string, store: NodeStore): ContactsBackend {
  return {
    via: "store",
    async add(name, id) {
      const { meteorId, document } = await resolveContactIdentity(id);
      // As the API does: a node is not its own contact (when its ID is known without a prompt).
      const own = await ownMeteorId(home);
      if (own) refuseOwnId(meteorId, own);
      return contactJson(store.contacts.add({ name, meteorId, document }));
    },
    list: () => Promise.resolve(store.contacts.list().map(contactJson)),
    remove: (name) => Promise.resolve(store.contacts.remove(name)),
    close: () => store.close(),
  };
}

/** The daemon's API when it answers for this home, else the state database. */
async function backendFor(home: string): Promise<ContactsBackend> {
  const paths = homePaths(home);
  if (!(await exists(paths.keystore)) && !(await exists(paths.config))) {
    throw new MeteorError(
      "E_NOT_INITIALIZED",
      `Cannot open contacts: no node at ${home} (run 'meteor init')`,
    );
  }
  const client = await apiClientFor(home).catch((err) => {
    if (isMeteorError(err, "E_BAD_CONFIG") || isMeteorError(err, "E_NOT_INITIALIZED")) {
      return undefined; // no fixed port or no token: no daemon to ask
    }
    throw err;
  });
  if (client && await client.running()) {
    return {
      via: "daemon",
      add: (name, id) => client.request<ContactJson>("POST", "/v1/contacts", { name, id }),
      list: async () =>
        (await client.request<{ contacts: ContactJson[] }>("GET", "/v1/contacts")).contacts,
      remove: (name) => client.request<void>("DELETE", `/v1/contacts/${encodeURIComponent(name)}`),
      close: () => {},
    };
  }
  return storeBackend(home, openStore(paths.state));
}

/**
 * The ID text an argument stands for: the argument itself when it is a
 * MeteorID or document text, else the identity in the file it names ("-" is
 * stdin; cli/_identity_file.ts: what `meteor id` or `meteor id --json`
 * prints, a bare document or a MeteorID). A binary document is given in
 * its text form.
 */
async function idText(arg: string): Promise<string> {
  if (looksLikeMeteorId(arg) || arg.startsWith(DOCUMENT_TEXT_PREFIX)) return arg;
  let identity: string | Uint8Array;
  try {
    identity = await readIdentityFile(arg);
  } catch (err) {
    if (isMeteorError(err, "E_NOT_FOUND")) {
      throw new MeteorError(
        "E_BAD_ID",
        redact(`Cannot add contact: "${arg}" is not a MeteorID, a meteor-doc: text or a file`),
      );
    }
    throw err;
  }
  return typeof identity === "string" ? identity : DOCUMENT_TEXT_PREFIX + toBase64(identity);
}

async function withBackend<T>(
  home: string,
  work: (backend: ContactsBackend) => Promise<T>,
): Promise<T> {
  const backend = await backendFor(home);
  try {
    return await work(backend);
  } finally {
    backend.close();
  }
}

function usage(expected: string, got: string[]): MeteorError {
  return new MeteorError(
    "E_USAGE",
    `Cannot parse arguments: expected ${expected}, got ${got.length} argument(s)`,
  );
}

const SHARED_HELP = `The commands use the running daemon's API when the daemon of this home is
up (so it can fetch the contact's identity document at once), and the
home's state database directly when it is not.`;

/** `meteor contacts add NAME ID_OR_DOCUMENT`. */
export const contactsAddCommand: Command = {
  name: "contacts add",
  summary: "Add a contact by MeteorID or identity document",
  help: `Usage: meteor contacts add NAME ID_OR_DOCUMENT [--home DIR] [--json]

Adds a contact named NAME (1 to 64 letters, digits, space, . _ -).
ID_OR_DOCUMENT is one of:
  meteor1...       a MeteorID: the contact's identity document is fetched
                   from the peer when it connects and checked against the ID
  meteor-doc:...   an identity document (from 'meteor id'): verified now
                   (both signatures, keys match the ID, not expired)
  FILE             a file holding either, or what 'meteor id' or
                   'meteor id --json' prints
  -                the same, read from stdin

${SHARED_HELP}

Examples:
  meteor contacts add alice meteor1qqsr...
  meteor contacts add bob bob-id.json
  ssh bob meteor id --json | meteor contacts add bob -`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 2) throw usage("NAME ID_OR_DOCUMENT", positionals);
    const [name, arg] = positionals;
    const id = await idText(arg);
    const { contact, via } = await withBackend(homeFrom(values), async (backend) => ({
      contact: await backend.add(name, id),
      via: backend.via,
    }));
    if (values.json) printJson({ contact, via });
    else {
      console.log(`Added ${contact.name}: ${contact.meteorId}`);
      console.log(
        contact.hasDocument
          ? "Identity document verified and stored."
          : "Its identity document will be fetched from the peer and checked against the ID.",
      );
    }
    return 0;
  },
};

/** `meteor contacts list`. */
export const contactsListCommand: Command = {
  name: "contacts list",
  summary: "List contacts",
  help: `Usage: meteor contacts list [--home DIR] [--json]

Lists contacts by name with their MeteorID and whether their identity
document is known. --json prints {"contacts": [{name, meteorId,
hasDocument, addedAt}]}.

${SHARED_HELP}`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 0) throw usage("no arguments", positionals);
    const contacts = await withBackend(homeFrom(values), (backend) => backend.list());
    if (values.json) printJson({ contacts });
    else if (contacts.length === 0) {
      console.log("No contacts (add one with: meteor contacts add NAME ID)");
    } else {
      const width = Math.max(4, ...contacts.map((c) => c.name.length));
      console.log(`${"NAME".padEnd(width)}  ${"METEORID".padEnd(65)}  DOCUMENT`);
      for (const c of contacts) {
        console.log(`${c.name.padEnd(width)}  ${c.meteorId}  ${c.hasDocument ? "yes" : "not yet"}`);
      }
    }
    return 0;
  },
};

/** `meteor contacts remove NAME`. */
export const contactsRemoveCommand: Command = {
  name: "contacts remove",
  summary: "Remove a contact",
  help: `Usage: meteor contacts remove NAME [--home DIR] [--json]

Removes the contact NAME. Messages already received from it stay in the
inbox; queued messages to it stay in the outbox.

${SHARED_HELP}`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 1) throw usage("NAME", positionals);
    const [name] = positionals;
    await withBackend(homeFrom(values), (backend) => backend.remove(name));
    if (values.json) printJson({ removed: name });
    else console.log(`Removed ${name}.`);
    return 0;
  },
};
