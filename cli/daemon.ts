/**
 * `meteor daemon`: runs the node. {@link startDaemon} does the work at the
 * edge: it initialises the home on first run (cli/init.ts setUpHome), loads
 * config, keys and API token, opens the state database, loads the built-in
 * and custom plugins, starts them, and serves the local API; the command
 * then waits for SIGINT or SIGTERM and shuts down cleanly.
 *
 * @module
 */
import { resolve } from "node:path";
import process from "node:process";
import denoJson from "../deno.json" with { type: "json" };
import { ensureApiToken } from "../core/api_token.ts";
import type { NodeConfig } from "../core/config.ts";
import { isMeteorError, MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { formatMeteorId, type NodeKeys, SEED_LENGTH, wipeNodeKeys } from "../core/identity/mod.ts";
import { loadNodeKeys } from "../core/keystore.ts";
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from "../core/logger.ts";
import { MeteorNode } from "../core/node.ts";
import type { Plugin } from "../core/plugin.ts";
import { loadCustomPlugins } from "../core/plugin_loader.ts";
import { ensurePrivateDir } from "../core/secret_file.ts";
import { openStore } from "../core/store/mod.ts";
import { builtinPlugins } from "../plugins/mod.ts";
import { loginLink, type PublicListener, startApi } from "../server.ts";
import { apiUrl } from "./_api.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import { readConfig } from "./_config.ts";
import { exists } from "./_fs.ts";
import { unlockPassphrase } from "./_passphrase.ts";
import { describeSetup, type HomeSetup, setUpHome } from "./init.ts";
import { CIPHER_PATH_ENV, cipherPathFrom, createNodeCipher } from "../core/crypto/node_cipher.ts";

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** The node home (made absolute); created with a new identity when it has no keystore. */
  home: string;
  /** The keystore passphrase; default from METEOR_PASSPHRASE or a prompt when needed. */
  passphrase?: string;
  /** The logger; default text at info level on stderr. */
  logger?: Logger;
  /** Plugins to run besides those the config names (embedding, tests). */
  plugins?: readonly Plugin[];
}

/** A running daemon. */
export interface RunningDaemon {
  /** The absolute home folder. */
  home: string;
  /** The node. */
  node: MeteorNode;
  /** The API base URL, e.g. http://127.0.0.1:7701. */
  url: string;
  /** The plugins' public mounts and where they listen. */
  publicListeners: readonly PublicListener[];
  /** What first-run initialisation did, or null when the home existed. */
  initialized: HomeSetup | null;
  /** The p2p listen addresses (empty without the p2p plugin). */
  addresses(): string[];
  /** Stops serving, stops the plugins in reverse, closes the database. Idempotent. */
  stop(): Promise<void>;
}

/** Warns when a secret file can be read by other users (it should be 0600). */
async function warnIfShared(path: string, logger: Logger): Promise<void> {
  if (Deno.build.os === "windows") return;
  const { mode } = await Deno.stat(path);
  if (mode !== null && (mode & 0o077) !== 0) {
    logger.warn("the API token file is readable by other users: run chmod 600 on it", { path });
  }
}

/** Whether a process with this PID runs (one we may not signal counts as running). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/** The PID a lock file holds, or undefined when it holds none (yet). */
async function lockHolder(path: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return /^\d+\n?$/.test(text) ? Number(text) : undefined;
}

/**
 * Takes the home's daemon lock: `path` created exclusively, holding this
 * process's PID. A lock whose process no longer runs is stale and replaced.
 * Resolves to the function that releases it.
 *
 * @throws {MeteorError} E_LOCKED when a running process holds it
 */
async function lockHome(path: string, home: string): Promise<() => Promise<void>> {
  const pid = String(Deno.pid);
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.writeTextFile(path, `${pid}\n`, { createNew: true, mode: 0o600 });
      return async () => {
        if (await lockHolder(path) === Deno.pid) await Deno.remove(path).catch(() => {});
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        throw new MeteorError("E_IO", `Cannot lock ${path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    // A lock just created may not hold its PID yet: read it again a moment later.
    const holder = await lockHolder(path) ??
      await new Promise((r) => setTimeout(r, 200)).then(() => lockHolder(path));
    if (holder !== undefined && processRuns(holder)) {
      throw new MeteorError(
        "E_LOCKED",
        `Cannot start the daemon: another daemon (PID ${holder}) runs for ${home}`,
      );
    }
    if (attempt > 0) {
      throw new MeteorError("E_LOCKED", `Cannot start the daemon: ${path} is held`);
    }
    await Deno.remove(path).catch(() => {}); // stale: its process has ended
  }
}

/** Creates a home with a fresh random identity (the same steps as `meteor init`). */
async function initialise(home: string): Promise<HomeSetup> {
  const seed = crypto.getRandomValues(new Uint8Array(SEED_LENGTH));
  try {
    return await setUpHome(home, seed);
  } finally {
    seed.fill(0);
  }
}

/** The plugins `config` names: built-in ones, then custom modules (paths relative to `home`). */
export async function configuredPlugins(home: string, config: NodeConfig): Promise<Plugin[]> {
  return [
    ...await builtinPlugins(config.plugins),
    ...await loadCustomPlugins(resolve(home), config.customPlugins),
  ];
}

/**
 * Starts a node from its home and serves its API. Everything started is
 * released again if a later step fails.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const home = resolve(options.home);
  const logger = options.logger ?? createLogger({ scope: "meteor" });
  const paths = homePaths(home);
  const initialized = (await exists(paths.keystore)) ? null : await initialise(home);
  const unlock = await lockHome(paths.lock, home);
  let keys: NodeKeys | undefined;
  let node: MeteorNode | undefined;
  let store: ReturnType<typeof openStore> | undefined;
  try {
    const config = await readConfig(paths.config);
    const passphrase = options.passphrase ?? await unlockPassphrase(home);
    keys = await loadNodeKeys(home, passphrase);
    const { token } = await ensureApiToken(paths.apiToken);
    await warnIfShared(paths.apiToken, logger);
    const plugins = [...await configuredPlugins(home, config), ...options.plugins ?? []];
    store = openStore(paths.state);
    const cipher = createNodeCipher(
      cipherPathFrom(config.cipher.path, Deno.env.get(CIPHER_PATH_ENV)),
    );
    node = new MeteorNode({
      cipher,
      keys,
      config,
      token,
      store,
      plugins,
      logger,
      version: denoJson.version,
      dataDir: async (name) => {
        await ensurePrivateDir(paths.pluginData);
        const dir = `${paths.pluginData}/${name}`;
        await ensurePrivateDir(dir);
        return dir;
      },
    });
    await node.start().catch((err) => {
      // A busy port is the user's to fix in config.json: its own code, not E_PLUGIN's.
      throw isMeteorError(err, "E_PLUGIN") && isMeteorError(err.cause, "E_ADDR_IN_USE")
        ? err.cause
        : err;
    });
    // Calibrates the batch cipher in the background (docs/config.md, cipher.path).
    cipher.start();
    const server = await startApi(node, { hostname: config.api.host, port: config.api.port });
    node.listening(server.port);
    const running = node;
    const runningKeys = keys;
    let stopped: Promise<void> | undefined;
    return {
      home,
      node,
      url: apiUrl(config.api.host, server.port),
      publicListeners: server.publicListeners,
      initialized,
      addresses() {
        return running.capability("network")?.addresses() ?? [];
      },
      stop() {
        stopped ??= (async () => {
          try {
            await server.shutdown();
            await running.stop();
          } finally {
            wipeNodeKeys(runningKeys);
            await unlock();
          }
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (node) await node.stop().catch(() => {});
    else store?.close();
    if (keys) wipeNodeKeys(keys);
    await unlock();
    throw err;
  }
}

/** Resolves with the name of the first SIGINT or SIGTERM (SIGINT only on Windows). */
function firstSignal(): { signal: Promise<Deno.Signal>; dispose(): void } {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers: [Deno.Signal, () => void][] = [];
  const signal = new Promise<Deno.Signal>((resolveSignal) => {
    for (const name of signals) {
      const handler = () => resolveSignal(name);
      Deno.addSignalListener(name, handler);
      handlers.push([name, handler]);
    }
  });
  return {
    signal,
    dispose: () => handlers.forEach(([name, h]) => Deno.removeSignalListener(name, h)),
  };
}

function describeRunning(daemon: RunningDaemon): string {
  const addresses = daemon.addresses();
  return [
    "Meteor node running",
    `  MeteorID  ${formatMeteorId(daemon.node.keys.meteorId)}`,
    `  PeerId    ${daemon.node.keys.peerId}`,
    `  API       ${daemon.url}  (token: ${homePaths(daemon.home).apiToken})`,
    ...(addresses.length > 0
      ? addresses.map((a, i) => `  ${i === 0 ? "listening" : "         "} ${a}`)
      : ["  listening (no p2p plugin running)"]),
    ...daemon.publicListeners.map(({ plugin, url }) => `  public    ${url}  (${plugin})`),
    ...(daemon.node.registry.running.some((r) => r.plugin.name === "dashboard")
      ? [`  dashboard ${loginLink(daemon.url, daemon.node.token)}  (works once, 2 minutes)`]
      : []),
    `  home      ${daemon.home}`,
    "Stop with Ctrl-C (SIGINT) or SIGTERM.",
  ].join("\n");
}

/** `meteor daemon`. */
export const daemonCommand: Command = {
  name: "daemon",
  summary: "Run the node: plugins, p2p and the local API (creates a home on first run)",
  help: `Usage: meteor daemon [--home DIR] [--log-level LEVEL] [--log-json] [--json]

Runs the node in the foreground until SIGINT (Ctrl-C) or SIGTERM, then stops
its plugins in reverse order, closes the state database and exits 0.

One daemon runs per home: it holds <home>/daemon.lock (its PID) while it
runs, and a second 'meteor daemon' on the same home fails at once with
E_LOCKED. A lock left by a daemon that died is replaced.

On first run, when the home holds no keystore, it is initialised as by
'meteor init' (new random identity, config.json with free ports, API token)
and the daemon says where.

It prints the MeteorID, the local API URL (http://127.0.0.1:<port>, every
request needs 'Authorization: Bearer <token>' with the token from the
home's api-token file; see docs/api.md), the p2p listen addresses and the
plugins' public listeners.
Which plugins run comes from config.json: "plugins" (built-in, e.g. "p2p")
and "customPlugins" (paths; see docs/plugins.md).

Options:
  --home DIR         the node home (default $METEOR_HOME or ~/.meteor)
  --log-level LEVEL  debug, info (default), warn or error; logs go to stderr
  --log-json         write logs as JSON lines
  --json             print the startup report as one JSON line on stdout
                     (and {"event":"stopped"} at exit)

A passphrase-protected keystore is unlocked with $METEOR_PASSPHRASE or a
prompt.

Examples:
  meteor daemon
  meteor daemon --home /srv/meteor --log-json --log-level debug
  npx -y deno@2.9.6 task daemon`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      "log-level": { type: "string", default: "info" },
      "log-json": { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 0);
    const level = values["log-level"] as LogLevel;
    if (!LOG_LEVELS.includes(level)) {
      throw new MeteorError(
        "E_USAGE",
        `Cannot parse arguments: --log-level must be one of ${LOG_LEVELS.join(", ")}`,
      );
    }
    const logger = createLogger({ level, format: values["log-json"] ? "json" : "text" });
    const signals = firstSignal();
    try {
      const daemon = await startDaemon({ home: homeFrom(values), logger });
      try {
        if (values.json) {
          printJson({
            event: "started",
            meteorId: formatMeteorId(daemon.node.keys.meteorId),
            peerId: daemon.node.keys.peerId,
            api: daemon.url,
            addresses: daemon.addresses(),
            publicListeners: daemon.publicListeners,
            home: daemon.home,
            initialized: daemon.initialized !== null,
          });
        } else {
          if (daemon.initialized) {
            console.log(
              `First run: initialised a new node home.\n${describeSetup(daemon.initialized)}\n`,
            );
          }
          console.log(describeRunning(daemon));
        }
        const signal = await signals.signal;
        logger.info("stopping", { signal });
      } finally {
        await daemon.stop();
      }
      if (values.json) printJson({ event: "stopped" });
      else console.log("Meteor node stopped.");
      return 0;
    } finally {
      signals.dispose();
    }
  },
};
