/**
 * The dht plugin's config section, `pluginConfig.dht` (docs/dht.md §6).
 * Absent keys take {@link DEFAULT_DHT_CONFIG}; an unknown key or a wrong
 * type is E_BAD_CONFIG naming the key.
 *
 * @module
 */
import { MeteorError } from "../../core/errors.ts";

/** The dht plugin's validated config. */
export interface DhtConfig {
  /** The Kademlia protocol id: Meteor's own DHT, not the public IPFS one. */
  protocol: string;
  /** Only query, never answer (for nodes others cannot dial); false on a LAN or loopback. */
  clientMode: boolean;
  /** How long one resolve may take before E_NOT_FOUND, in ms. */
  resolveTimeoutMs: number;
  /** How often this node republishes its identity document, in ms. */
  republishMs: number;
  /** How long one publication (a put to the closest peers) may take, in ms. */
  publishTimeoutMs: number;
  /** Also join the public IPFS DHT (`/ipfs/kad/1.0.0`, client mode) for peer routing. */
  publicDht: boolean;
}

/** The defaults. */
export const DEFAULT_DHT_CONFIG: Readonly<DhtConfig> = {
  protocol: "/meteor/kad/1.0.0",
  clientMode: false,
  resolveTimeoutMs: 30_000,
  republishMs: 60 * 60 * 1000,
  publishTimeoutMs: 60_000,
  publicDht: false,
};

/** The shortest republish period accepted, in ms. */
const MIN_REPUBLISH_MS = 1000;
/** The longest: records older than 48 h are dropped by the peers that store them (docs/dht.md §4). */
const MAX_REPUBLISH_MS = 24 * 60 * 60 * 1000;

function bad(key: string, expected: string): MeteorError {
  return new MeteorError(
    "E_BAD_CONFIG",
    `Cannot load config: "pluginConfig.dht${key}" must be ${expected}`,
  );
}

function integer(key: string, value: unknown, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw bad(`.${key}`, `an integer from ${min} to ${max}`);
  }
  return value as number;
}

/**
 * Validates `pluginConfig.dht`.
 *
 * @example
 * ```ts
 * import { parseDhtConfig } from "./config.ts";
 * parseDhtConfig({ resolveTimeoutMs: 5000 }).protocol; // "/meteor/kad/1.0.0"
 * ```
 */
export function parseDhtConfig(raw: unknown): DhtConfig {
  const config = { ...DEFAULT_DHT_CONFIG };
  if (raw === undefined) return config;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("", "an object");
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case "protocol":
        if (typeof value !== "string" || !/^\/[\x21-\x7e]{1,127}$/.test(value)) {
          throw bad(".protocol", 'a protocol id such as "/meteor/kad/1.0.0"');
        }
        config.protocol = value;
        break;
      case "clientMode":
      case "publicDht":
        if (typeof value !== "boolean") throw bad(`.${key}`, "true or false");
        config[key] = value;
        break;
      case "resolveTimeoutMs":
      case "publishTimeoutMs":
        config[key] = integer(key, value, 100, 600_000);
        break;
      case "republishMs":
        config.republishMs = integer(key, value, MIN_REPUBLISH_MS, MAX_REPUBLISH_MS);
        break;
      default:
        throw bad(`.${key}`, "absent (unknown key)");
    }
  }
  if (config.protocol === "/ipfs/kad/1.0.0") {
    throw bad(".protocol", 'not the public "/ipfs/kad/1.0.0" (set "publicDht": true to join it)');
  }
  return config;
}
