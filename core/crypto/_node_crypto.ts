/**
 * node:crypto, loaded on first use rather than at import: evaluating Deno's
 * node:crypto takes about 40 ms, which every command that imports the
 * crypto modules would pay at start-up even when it hashes nothing
 * (`meteor contacts list`). `process.getBuiltinModule` (Node 22.3, Deno 2)
 * loads it synchronously, so the hash and AEAD functions stay synchronous.
 *
 * @module
 */
import type * as NodeCrypto from "node:crypto";

let loaded: typeof NodeCrypto | undefined;

/** The node:crypto module, loaded on the first call. */
export function nodeCrypto(): typeof NodeCrypto {
  loaded ??= process.getBuiltinModule("node:crypto") as typeof NodeCrypto;
  return loaded;
}
