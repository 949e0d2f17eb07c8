/**
 * `pluginConfig.auth` (docs/config.md): where the public listener is, the
 * origin the server answers for, how long sessions last and the rate limits.
 *
 * @module
 */
import { MeteorError } from "../../core/errors.ts";
import { checkOrigin } from "./protocol.ts";
import { type AuthLimits, DEFAULT_LIMITS } from "./server.ts";

/** The validated `pluginConfig.auth`. */
export interface AuthConfig {
  /** The public listener, "host:port". */
  listen: string;
  /** The origin the server answers for. */
  origin: string;
  /** How long a session lasts, in seconds. */
  sessionTtlSeconds: number;
  /** The rate limits. */
  rateLimit: AuthLimits;
}

/** The default session lifetime: 12 hours. */
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;

const LISTEN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

const bad = (key: string, expected: string) =>
  new MeteorError(
    "E_BAD_CONFIG",
    `Cannot load config: "pluginConfig.auth${key}" must be ${expected}`,
  );

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function refuseUnknown(
  record: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
): void {
  const unknown = Object.keys(record).find((k) => !known.includes(k));
  if (unknown !== undefined) throw bad(`${prefix}.${unknown}`, "absent (unknown key)");
}

function positive(value: unknown, key: string, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw bad(key, `an integer from 1 to ${max}`);
  }
  return value as number;
}

/** Checks `pluginConfig.auth`; E_BAD_CONFIG naming the key. */
export function validateAuthConfig(raw: unknown): AuthConfig {
  if (!isObject(raw)) throw bad("", 'an object with at least "listen"');
  refuseUnknown(raw, ["listen", "origin", "sessionTtlSeconds", "rateLimit"], "");
  const { listen, origin, sessionTtlSeconds = DEFAULT_SESSION_TTL_SECONDS, rateLimit = {} } = raw;
  const match = typeof listen === "string" ? LISTEN.exec(listen) : null;
  if (!match || Number(match[1]) > 65535) throw bad(".listen", 'a "host:port" string');
  if (origin === undefined && Number(match[1]) === 0) {
    throw bad(".origin", "set when .listen asks for port 0 (the default origin names the port)");
  }
  let checkedOrigin: string;
  try {
    checkedOrigin = checkOrigin(origin ?? `http://${listen}`);
  } catch {
    throw bad(".origin", 'an origin "http(s)://host[:port]" with no path');
  }
  if (!isObject(rateLimit)) throw bad(".rateLimit", "an object");
  refuseUnknown(rateLimit, Object.keys(DEFAULT_LIMITS), ".rateLimit");
  const limits = Object.fromEntries(
    Object.entries(DEFAULT_LIMITS).map(([key, fallback]) => [
      key,
      positive(rateLimit[key] ?? fallback, `.rateLimit.${key}`, 1_000_000_000),
    ]),
  ) as unknown as AuthLimits;
  return {
    listen: listen as string,
    origin: checkedOrigin,
    sessionTtlSeconds: positive(sessionTtlSeconds, ".sessionTtlSeconds", 366 * 24 * 3600),
    rateLimit: limits,
  };
}
