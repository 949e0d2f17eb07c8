/**
 * Meteor's core: errors, configuration and the node home; post-quantum
 * cryptography; the node's identity, keystore and the age file format; the
 * node itself (plugins, registry, event bus, logger, SQLite store, contacts,
 * API token); the WebGPU batch cipher and the self-test. Core imports no
 * plugin.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./config.ts";
export * from "./home.ts";
export * from "./crypto/mod.ts";
export * from "./identity/mod.ts";
export * from "./keystore.ts";
export * from "./age/mod.ts";
export * from "./plugin.ts";
export * from "./plugin_loader.ts";
export * from "./registry.ts";
export * from "./components.ts";
export * from "./events.ts";
export * from "./logger.ts";
export * from "./store/mod.ts";
export * from "./contacts.ts";
export * from "./api_token.ts";
export * from "./node.ts";
export * from "./gpu/mod.ts";
export * from "./selftest.ts";
// Identity and store each bound a document: the identity document's own bound
// (16 KiB) is the one exported here; the store's larger storage bound stays
// core/store/mod.ts's MAX_DOCUMENT_BYTES.
export { MAX_DOCUMENT_BYTES } from "./identity/mod.ts";
