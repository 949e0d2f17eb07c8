/**
 * The node home: the one folder that holds a node's seed, configuration, API
 * token, state database and plugin data. Resolved from `--home`, then
 * `METEOR_HOME`, then `~/.meteor`.
 *
 * @module
 */

/** File and folder names inside a node home. */
export const HOME_FILES = {
  /** The keystore holding the 32-byte seed (mode 0600). */
  keystore: "keystore.json",
  /**
   * The public identity cache: the last identity document `meteor id`
   * signed, checked against the keystore's MeteorID before use, so that
   * `meteor id` and `-r self` need no key derivation (docs/identity.md §5.1).
   */
  identity: "identity.json",
  /** The node configuration (JSON). */
  config: "config.json",
  /** The local API bearer token (mode 0600). */
  apiToken: "api-token",
  /** Node state: contacts, inbox, outbox, counters (SQLite, WAL). */
  state: "state.db",
  /** One data folder per plugin, under this folder. */
  pluginData: "plugins",
  /** Held by the running daemon: its PID, so that a second daemon on the home refuses to start. */
  lock: "daemon.lock",
} as const;

/** Absolute paths of everything in a node home. */
export interface HomePaths {
  /** The home folder itself. */
  root: string;
  /** See {@link HOME_FILES}. */
  keystore: string;
  /** See {@link HOME_FILES}. */
  identity: string;
  /** See {@link HOME_FILES}. */
  config: string;
  /** See {@link HOME_FILES}. */
  apiToken: string;
  /** See {@link HOME_FILES}. */
  state: string;
  /** See {@link HOME_FILES}. */
  pluginData: string;
  /** See {@link HOME_FILES}. */
  lock: string;
}

/**
 * Chooses the home folder: an explicit path wins, then `METEOR_HOME`, then
 * `$HOME/.meteor`.
 *
 * @example
 * ```ts
 * import { resolveHome } from "./home.ts";
 * resolveHome("/srv/meteor", {}); // "/srv/meteor"
 * ```
 */
export function resolveHome(
  explicit: string | undefined,
  env: Record<string, string | undefined>,
): string {
  if (explicit) return explicit;
  if (env.METEOR_HOME) return env.METEOR_HOME;
  const userHome = env.HOME ?? env.USERPROFILE;
  if (!userHome) throw new TypeError("Cannot find a home folder: set --home or METEOR_HOME");
  return `${userHome}/.meteor`;
}

/** The paths of every file in the home at `root`. */
export function homePaths(root: string): HomePaths {
  const at = (name: string) => `${root}/${name}`;
  return {
    root,
    keystore: at(HOME_FILES.keystore),
    identity: at(HOME_FILES.identity),
    config: at(HOME_FILES.config),
    apiToken: at(HOME_FILES.apiToken),
    state: at(HOME_FILES.state),
    pluginData: at(HOME_FILES.pluginData),
    lock: at(HOME_FILES.lock),
  };
}
