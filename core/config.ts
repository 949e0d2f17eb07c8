/**
 * The node configuration (config.json in the node home): where the local API
 * listens, libp2p listen addresses, which plugins run and the cipher path.
 * Parsing is strict: an unknown key or a wrong type is an E_BAD_CONFIG error
 * naming the key, so a typo never silently falls back to a default.
 *
 * @module
 */
import { MeteorError } from "./errors.ts";

/** The largest config file accepted, in bytes. */
export const MAX_CONFIG_BYTES = 64 * 1024;

/**
 * A host as it appears in a URL or Host header: IPv6 addresses in brackets.
 * (Here rather than in node.ts so that the CLI's API client does not load the
 * node and its plugin registry.)
 *
 * @example
 * ```ts
 * import { hostForUrl } from "./config.ts";
 * hostForUrl("::1"); // "[::1]"
 * ```
 */
export function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** The node configuration. */
export interface NodeConfig {
  /** Schema version; 1. */
  version: 1;
  /** The local HTTP/WebSocket API. */
  api: {
    /** Listen host; 127.0.0.1 unless the operator opts in to another. */
    host: string;
    /** Listen port. */
    port: number;
  };
  /** libp2p settings. */
  p2p: {
    /** Multiaddrs to listen on. */
    listen: string[];
    /** Multiaddrs to dial at start (bootstrap peers). */
    bootstrap: string[];
  };
  /** Built-in plugins to run, by name. */
  plugins: string[];
  /** Paths (absolute, or relative to the home) of custom plugin modules. */
  customPlugins: string[];
  /** Per-plugin settings, keyed by plugin name; each plugin validates its own. */
  pluginConfig: Record<string, unknown>;
  /** Batch cipher path: chosen by calibration ("auto") or forced. */
  cipher: { path: "auto" | "cpu" | "gpu" };
}

/**
 * The configuration `meteor init` writes, given the free ports it chose.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config.ts";
 * const config = defaultConfig({ api: 7701, p2pTcp: 7702, p2pWs: 7703 });
 * config.api.host; // "127.0.0.1"
 * ```
 */
export function defaultConfig(ports: { api: number; p2pTcp: number; p2pWs: number }): NodeConfig {
  return {
    version: 1,
    api: { host: "127.0.0.1", port: ports.api },
    p2p: {
      listen: [`/ip4/0.0.0.0/tcp/${ports.p2pTcp}`, `/ip4/0.0.0.0/tcp/${ports.p2pWs}/ws`],
      bootstrap: [],
    },
    plugins: ["p2p", "dht", "pubsub", "ipfs", "dashboard"],
    customPlugins: [],
    pluginConfig: {},
    cipher: { path: "auto" },
  };
}

function bad(key: string, expected: string): MeteorError {
  return new MeteorError("E_BAD_CONFIG", `Cannot load config: "${key}" must be ${expected}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new MeteorError("E_BAD_CONFIG", `Cannot load config: unknown key "${where}${key}"`);
    }
  }
}

function stringArray(key: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw bad(key, "an array of strings");
  }
  return value;
}

function port(key: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw bad(key, "an integer port from 0 to 65535");
  }
  return value as number;
}

/**
 * Parses and validates config text. Missing sections take the defaults of
 * {@link defaultConfig} with port 0 (any free port); unknown keys are errors.
 */
export function parseConfig(text: string): NodeConfig {
  if (text.length > MAX_CONFIG_BYTES) {
    throw new MeteorError(
      "E_TOO_LARGE",
      `Cannot load config: larger than ${MAX_CONFIG_BYTES} bytes`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MeteorError("E_BAD_CONFIG", `Cannot load config: ${(err as Error).message}`);
  }
  if (!isRecord(raw)) throw bad("(root)", "an object");
  checkKeys("", raw, [
    "version",
    "api",
    "p2p",
    "plugins",
    "customPlugins",
    "pluginConfig",
    "cipher",
  ]);
  if (raw.version !== undefined && raw.version !== 1) throw bad("version", "1");
  const config = defaultConfig({ api: 0, p2pTcp: 0, p2pWs: 0 });

  if (raw.api !== undefined) {
    if (!isRecord(raw.api)) throw bad("api", "an object");
    checkKeys("api.", raw.api, ["host", "port"]);
    if (raw.api.host !== undefined) {
      if (typeof raw.api.host !== "string" || raw.api.host === "") {
        throw bad("api.host", "a host name");
      }
      config.api.host = raw.api.host;
    }
    if (raw.api.port !== undefined) config.api.port = port("api.port", raw.api.port);
  }
  if (raw.p2p !== undefined) {
    if (!isRecord(raw.p2p)) throw bad("p2p", "an object");
    checkKeys("p2p.", raw.p2p, ["listen", "bootstrap"]);
    if (raw.p2p.listen !== undefined) config.p2p.listen = stringArray("p2p.listen", raw.p2p.listen);
    if (raw.p2p.bootstrap !== undefined) {
      config.p2p.bootstrap = stringArray("p2p.bootstrap", raw.p2p.bootstrap);
    }
  }
  if (raw.plugins !== undefined) config.plugins = stringArray("plugins", raw.plugins);
  if (raw.customPlugins !== undefined) {
    config.customPlugins = stringArray("customPlugins", raw.customPlugins);
  }
  if (raw.pluginConfig !== undefined) {
    if (!isRecord(raw.pluginConfig)) throw bad("pluginConfig", "an object");
    config.pluginConfig = raw.pluginConfig;
  }
  if (raw.cipher !== undefined) {
    if (!isRecord(raw.cipher)) throw bad("cipher", "an object");
    checkKeys("cipher.", raw.cipher, ["path"]);
    const path = raw.cipher.path;
    if (path !== undefined) {
      if (path !== "auto" && path !== "cpu" && path !== "gpu") {
        throw bad("cipher.path", '"auto", "cpu" or "gpu"');
      }
      config.cipher.path = path;
    }
  }
  return config;
}
