/**
 * Contacts: a unique name bound to a MeteorID, with the contact's identity
 * document once it has been fetched and verified (the caller verifies, with
 * core/identity, before calling {@link Contacts.setDocument}).
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { MeteorError } from "../errors.ts";
import { prepared } from "./_statements.ts";
import { checkBytes, checkMeteorId, checkName, MAX_DOCUMENT_BYTES } from "./_validate.ts";

/** A stored contact. */
export interface Contact {
  /** The unique name. */
  name: string;
  /** The 32-byte MeteorID. */
  meteorId: Uint8Array;
  /** The encoded identity document, or null until fetched. */
  document: Uint8Array | null;
  /** When it was added, in milliseconds since the epoch. */
  addedAt: number;
}

/** What {@link Contacts.add} takes. */
export interface NewContact {
  /** The unique name. */
  name: string;
  /** The 32-byte MeteorID. */
  meteorId: Uint8Array;
  /** An already verified identity document, if the user gave one. */
  document?: Uint8Array | null;
}

type Row = { name: string; meteor_id: Uint8Array; document: Uint8Array | null; added_at: number };

function toContact(row: Row): Contact {
  return {
    name: row.name,
    meteorId: row.meteor_id,
    document: row.document,
    addedAt: row.added_at,
  };
}

/** The contacts table. */
export class Contacts {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  /** Wraps an open, migrated database. */
  constructor(db: DatabaseSync, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Adds a contact; E_EXISTS when the name or the MeteorID is already a contact. */
  add(contact: NewContact): Contact {
    const action = "add contact";
    const name = checkName(action, contact.name);
    const meteorId = checkMeteorId(action, contact.meteorId);
    const document = contact.document == null
      ? null
      : checkBytes(action, "identity document", contact.document, MAX_DOCUMENT_BYTES);
    if (this.get(name)) {
      throw new MeteorError("E_EXISTS", `Cannot ${action}: "${name}" is already a contact`);
    }
    const other = this.byId(meteorId);
    if (other) {
      throw new MeteorError("E_EXISTS", `Cannot ${action}: that MeteorID is "${other.name}"`);
    }
    const addedAt = this.#now();
    prepared(
      this.#db,
      "INSERT INTO contacts (name, meteor_id, document, added_at) VALUES (?, ?, ?, ?)",
    ).run(name, meteorId, document, addedAt);
    return { name, meteorId, document, addedAt };
  }

  /** The contact with this name, or undefined. */
  get(name: string): Contact | undefined {
    const row = prepared(this.#db, "SELECT * FROM contacts WHERE name = ?")
      .get(checkName("find contact", name)) as Row | undefined;
    return row && toContact(row);
  }

  /** The contact with this MeteorID, or undefined. */
  byId(meteorId: Uint8Array): Contact | undefined {
    const row = prepared(this.#db, "SELECT * FROM contacts WHERE meteor_id = ?")
      .get(checkMeteorId("find contact", meteorId)) as Row | undefined;
    return row && toContact(row);
  }

  /** Every contact, by name. */
  list(): Contact[] {
    return (prepared(this.#db, "SELECT * FROM contacts ORDER BY name").all() as Row[])
      .map(toContact);
  }

  /** Removes a contact; E_NOT_FOUND when there is none by that name. */
  remove(name: string): void {
    const { changes } = prepared(this.#db, "DELETE FROM contacts WHERE name = ?")
      .run(checkName("remove contact", name));
    if (changes === 0) {
      throw new MeteorError("E_NOT_FOUND", `Cannot remove contact: no contact "${name}"`);
    }
  }

  /** Stores a verified identity document for a contact; E_NOT_FOUND when none has that ID. */
  setDocument(meteorId: Uint8Array, document: Uint8Array): void {
    const action = "store identity document";
    const id = checkMeteorId(action, meteorId);
    const bytes = checkBytes(action, "identity document", document, MAX_DOCUMENT_BYTES);
    const { changes } = prepared(this.#db, "UPDATE contacts SET document = ? WHERE meteor_id = ?")
      .run(bytes, id);
    if (changes === 0) {
      throw new MeteorError("E_NOT_FOUND", `Cannot ${action}: no contact has that MeteorID`);
    }
  }
}
