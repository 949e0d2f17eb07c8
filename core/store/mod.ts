/**
 * Node state in SQLite: contacts and per-plugin counters behind typed APIs
 * that validate every input, and the plumbing plugins build their own
 * tables on (opening and migrating a database, prepared statements, input
 * checks).
 *
 * @module
 */
export { openStore, SCHEMA_VERSION } from "./store.ts";
export type { NodeStore, StoreOptions } from "./store.ts";
export { adoptTables, openDatabase } from "./database.ts";
export type { OpenDatabaseOptions } from "./database.ts";
export { prepared } from "./_statements.ts";
export { Contacts } from "./contacts.ts";
export type { Contact, NewContact } from "./contacts.ts";
export { Counters } from "./counters.ts";
export type { Counts } from "./counters.ts";
export {
  type BodyKind,
  checkCount,
  checkLimit,
  checkMessageBody,
  checkMessageId,
  checkMeteorId,
  MAX_DOCUMENT_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_PAGE,
} from "./_validate.ts";
export { METEOR_ID_LENGTH } from "../identity/meteor_id.ts";
