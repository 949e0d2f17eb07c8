/**
 * `pluginConfig.pubsub` (docs/config.md): the largest envelope a node
 * accepts and how old a message may be.
 *
 * @module
 */
import { MeteorError } from "../../core/errors.ts";
import { ENVELOPE_OVERHEAD } from "./envelope.ts";

/** The pubsub plugin's config. */
export interface PubSubConfig {
  /** The largest envelope (gossipsub `data`) accepted or published, in bytes; default 64 KiB. */
  maxMessageBytes: number;
  /** A message older than this (by its author's clock) is stale and rejected; default 2 min. */
  maxAgeMs: number;
}

/** The defaults. */
export const DEFAULT_PUBSUB_CONFIG: Readonly<PubSubConfig> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxAgeMs: 120_000,
});

/** The bounds of each key. */
const LIMITS = {
  maxMessageBytes: [ENVELOPE_OVERHEAD + 1, 1024 * 1024],
  maxAgeMs: [1_000, 3_600_000],
} as const;

/** Validates `pluginConfig.pubsub` (undefined: the defaults). E_BAD_CONFIG naming the key. */
export function parsePubSubConfig(raw: unknown): PubSubConfig {
  const bad = (key: string, expected: string) =>
    new MeteorError(
      "E_BAD_CONFIG",
      `Cannot load config: "pluginConfig.pubsub${key}" must be ${expected}`,
    );
  if (raw === undefined) return { ...DEFAULT_PUBSUB_CONFIG };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("", "an object");
  const config = { ...DEFAULT_PUBSUB_CONFIG };
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(LIMITS, key)) throw bad(`.${key}`, "absent (unknown key)");
    const [min, max] = LIMITS[key as keyof typeof LIMITS];
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw bad(`.${key}`, `an integer from ${min} to ${max}`);
    }
    config[key as keyof PubSubConfig] = value as number;
  }
  return config;
}
