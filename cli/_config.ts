/**
 * Reading a node home's config.json at the CLI edge: size-bounded, parsed
 * strictly by core/config.ts.
 *
 * @module
 */
import { MAX_CONFIG_BYTES, type NodeConfig, parseConfig } from "../core/config.ts";
import { isMeteorError } from "../core/errors.ts";
import { readBoundedFile } from "../core/secret_file.ts";

/**
 * The config at `path`, or null when there is no such file.
 *
 * @throws {MeteorError} E_BAD_CONFIG or E_TOO_LARGE for a config that cannot be used, E_IO when unreadable
 */
export async function readConfigIfAny(path: string): Promise<NodeConfig | null> {
  try {
    return parseConfig(new TextDecoder().decode(await readBoundedFile(path, MAX_CONFIG_BYTES)));
  } catch (err) {
    if (isMeteorError(err, "E_NOT_FOUND")) return null;
    throw err;
  }
}

/** The config at `path`, or the defaults (any free port) when there is no such file. */
export async function readConfig(path: string): Promise<NodeConfig> {
  return (await readConfigIfAny(path)) ?? parseConfig("{}");
}
