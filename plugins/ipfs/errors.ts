/**
 * The IPFS plugin's own error code, registered while it runs (the plugin's
 * `errors` field) and typed here for its modules.
 *
 * @module
 */
import type { PluginErrorCode } from "../../core/plugin.ts";

declare module "../../core/errors.ts" {
  interface ErrorCodeMap {
    /** A block's SHA-256 is not the digest its CID names: it was altered or corrupted. */
    E_CID_MISMATCH: true;
  }
}

/** The plugin's error codes with their HTTP status. */
export const IPFS_ERRORS: Readonly<Record<string, PluginErrorCode>> = {
  E_CID_MISMATCH: {
    status: 502,
    description: "A block does not hash to its CID (altered on disk or by a peer)",
  },
};
