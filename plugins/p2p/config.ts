/**
 * The p2p plugin's config section. The node passes the top-level `p2p`
 * section of config.json (listen, bootstrap) with `pluginConfig.p2p` keys on
 * top (core/node.ts pluginSections); unknown keys are E_BAD_CONFIG.
 *
 * @module
 */
import { multiaddr } from "@multiformats/multiaddr";
import { MeteorError } from "../../core/errors.ts";
import { REKEY_AFTER_MESSAGES, REKEY_AFTER_MS } from "./session/mod.ts";

/** The p2p plugin's validated config. */
export interface P2PConfig {
  /** Multiaddrs to listen on. */
  listen: string[];
  /** Multiaddrs dialled at start and on every retry. */
  bootstrap: string[];
  /** How often undelivered messages are retried, in ms. */
  retryMs: number;
  /** The longest wait before retrying an unreachable recipient (backoff cap), in ms. */
  retryMaxMs: number;
  /** How many recipients are flushed at once. */
  flushConcurrency: number;
  /** How long delivered outbox rows are kept, in ms. */
  keepDeliveredMs: number;
  /** How many delivered outbox rows are kept at most (the newest). */
  keepDelivered: number;
  /** docs/protocol.md §6 message threshold. */
  rekeyAfterMessages: number;
  /** docs/protocol.md §6 time threshold, in ms. */
  rekeyAfterMs: number;
}

/**
 * The defaults: loopback on free ports, no bootstrap peers, retry every 5 s
 * (backing off to 5 minutes for an unreachable recipient), 8 recipients
 * flushed at once, delivered messages kept for 7 days and at most 10,000.
 */
export const DEFAULT_P2P_CONFIG: Readonly<P2PConfig> = {
  listen: ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/0/ws"],
  bootstrap: [],
  retryMs: 5000,
  retryMaxMs: 300_000,
  flushConcurrency: 8,
  keepDeliveredMs: 7 * 24 * 3600_000,
  keepDelivered: 10_000,
  rekeyAfterMessages: REKEY_AFTER_MESSAGES,
  rekeyAfterMs: REKEY_AFTER_MS,
};

function bad(key: string, expected: string): MeteorError {
  return new MeteorError("E_BAD_CONFIG", `Cannot configure p2p: "${key}" must be ${expected}`);
}

function strings(key: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw bad(key, "an array of strings");
  }
  return [...value];
}

/** An array of multiaddrs, each parsed so that a typo is a config error, not a failed start. */
function multiaddrs(key: string, value: unknown): string[] {
  const list = strings(key, value);
  list.forEach((text, i) => {
    let reason: string;
    try {
      if (multiaddr(text).getComponents().length > 0) return;
      reason = "it is empty";
    } catch (err) {
      reason = (err as Error).message;
    }
    throw bad(
      `${key}[${i}]`,
      `a multiaddr such as /ip4/127.0.0.1/tcp/4001, not ${JSON.stringify(text)} (${reason})`,
    );
  });
  return list;
}

function positive(key: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw bad(key, "a positive integer");
  return value as number;
}

/**
 * Validates the section; absent keys take {@link DEFAULT_P2P_CONFIG}.
 *
 * @example
 * ```ts
 * import { parseP2PConfig } from "./config.ts";
 * parseP2PConfig({ listen: ["/ip4/127.0.0.1/tcp/4001"] }).retryMs; // 5000
 * ```
 */
export function parseP2PConfig(raw: unknown): P2PConfig {
  const config = { ...DEFAULT_P2P_CONFIG };
  if (raw === undefined) return config;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("p2p", "an object");
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case "listen":
      case "bootstrap":
        config[key] = multiaddrs(key, value);
        break;
      case "retryMs":
      case "retryMaxMs":
      case "flushConcurrency":
      case "keepDeliveredMs":
      case "keepDelivered":
      case "rekeyAfterMessages":
      case "rekeyAfterMs":
        config[key] = positive(key, value);
        break;
      default:
        throw new MeteorError("E_BAD_CONFIG", `Cannot configure p2p: unknown key "${key}"`);
    }
  }
  return config;
}
