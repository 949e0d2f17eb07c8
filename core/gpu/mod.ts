/**
 * WebGPU in Meteor: device management and the batch ChaCha20-Poly1305 engine
 * (shaders/chacha20.wgsl, shaders/poly1305.wgsl) with its CPU fallback. The
 * self-test checks for `meteor selftest` are in ./selftest.ts.
 *
 * @module
 */
export * from "./device.ts";
export * from "./aead.ts";
export type { AeadJob, BatchAead } from "../crypto/batch_types.ts";
