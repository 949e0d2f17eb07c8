/**
 * Where the published test vectors live: `$METEOR_VECTORS` when set, else
 * `<repo root>/../shared/vectors`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The vectors folder, without a trailing slash. */
export function vectorsDir(): string {
  const fromEnv = Deno.env.get("METEOR_VECTORS");
  if (fromEnv) return fromEnv.replace(/\/+$/, "");
  return fileURLToPath(new URL("../../shared/vectors", import.meta.url));
}
