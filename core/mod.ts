/**
 * Meteor's core: identity, post-quantum cryptography, the age file format,
 * configuration and errors. Core imports no plugin.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./config.ts";
export * from "./home.ts";
export * from "./crypto/mod.ts";
