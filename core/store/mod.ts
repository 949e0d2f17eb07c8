/**
 * Node state in SQLite: contacts, inbox, outbox (durable delivery) and
 * per-plugin counters, behind typed APIs that validate every input.
 *
 * @module
 */
export { openStore, SCHEMA_VERSION } from "./store.ts";
export type { NodeStore, StoreOptions } from "./store.ts";
export { Contacts } from "./contacts.ts";
export type { Contact, NewContact } from "./contacts.ts";
export { Inbox } from "./inbox.ts";
export type { InboxMessage, InboxQuery, NewInboxMessage } from "./inbox.ts";
export { Outbox } from "./outbox.ts";
export type { NewOutboxMessage, OutboxMessage } from "./outbox.ts";
export { Counters } from "./counters.ts";
export type { Counts } from "./counters.ts";
export { MAX_DOCUMENT_BYTES, MAX_MESSAGE_BYTES, MAX_PAGE } from "./_validate.ts";
export { METEOR_ID_LENGTH } from "../identity/meteor_id.ts";
export type { BodyKind } from "./_validate.ts";
