/**
 * Meteor's post-quantum session layer (docs/protocol.md): the three-message
 * hybrid handshake, the ratcheted, strictly ordered session, and the binding
 * to Meteor identities. Pure functions on bytes: no networking here.
 *
 * @module
 */
export * from "./handshake.ts";
export * from "./session.ts";
export * from "./identity.ts";
export type { ChainKeys } from "./_kdf.ts";
