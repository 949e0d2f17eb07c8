/**
 * A leveled, scoped logger that writes one line per record (JSON or text) to
 * a sink, stderr by default. Every record passes through {@link redact}:
 * fields with secret-shaped names and values that look like keys, seeds or
 * tokens are replaced before anything is written.
 *
 * @module
 */

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Structured fields attached to a record. */
export type LogFields = Record<string, unknown>;

/** A scoped logger. */
export interface Logger {
  /** The scope, e.g. "node" or "plugin:p2p". */
  readonly scope: string;
  /** Logs at debug level. */
  debug(message: string, fields?: LogFields): void;
  /** Logs at info level. */
  info(message: string, fields?: LogFields): void;
  /** Logs at warn level. */
  warn(message: string, fields?: LogFields): void;
  /** Logs at error level. */
  error(message: string, fields?: LogFields): void;
  /** A logger with the same level and sink and the scope `<scope>:<name>`. */
  child(name: string): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** The scope of the root logger; default "meteor". */
  scope?: string;
  /** The least severe level written; default "info". */
  level?: LogLevel;
  /** "json" for one JSON object per line, "text" for humans; default "text". */
  format?: "json" | "text";
  /** Receives each finished line; default writes to stderr with console.error. */
  sink?: (line: string) => void;
  /** The clock; default Date.now. */
  now?: () => number;
}

const REDACTED = "[redacted]";

/** Field names whose values are secret whatever they hold. */
const SECRET_NAME =
  /(secret|seed|token|passphrase|password|private|authorization|cookie|^key$|Key$)/i;

/**
 * Values that look like secrets: bearer tokens, API tokens (core/api_token.ts),
 * age secret keys, and hex runs of 128 bits or more (seeds and keys are shown
 * in hex). MeteorIDs (bech32m) and PeerIds (base58) stay readable.
 */
const SECRET_VALUE = [
  /Bearer\s+\S+/gi,
  /mtk_[A-Za-z0-9_-]+/g,
  /AGE-SECRET-KEY-[0-9A-Z-]+/gi,
  /\b[0-9a-fA-F]{32,}\b/g,
];

/** Replaces secret-shaped runs inside a string. */
function redactString(text: string): string {
  let out = text;
  for (const pattern of SECRET_VALUE) out = out.replace(pattern, REDACTED);
  return out;
}

/**
 * Returns a JSON-safe copy of `value` with secrets removed: fields with
 * secret-shaped names become "[redacted]", byte arrays become "[N bytes]",
 * and secret-shaped substrings of strings are replaced. Depth is bounded.
 *
 * @example
 * ```ts
 * import { redact } from "./logger.ts";
 * redact({ token: "abc", peer: "p1" }); // { token: "[redacted]", peer: "p1" }
 * ```
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" ? value.toString() : value;
  }
  if (value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redactString(value.message), code };
  }
  if (depth >= 4) return "[...]";
  if (Array.isArray(value)) return value.slice(0, 32).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_NAME.test(key) ? REDACTED : redact(field, depth + 1);
  }
  return out;
}

function format(
  kind: "json" | "text",
  time: number,
  level: LogLevel,
  scope: string,
  message: string,
  fields: LogFields | undefined,
): string {
  const safeMessage = redactString(message);
  const safeFields = fields === undefined ? undefined : redact(fields) as LogFields;
  const at = new Date(time).toISOString();
  if (kind === "json") {
    return JSON.stringify({ time: at, level, scope, msg: safeMessage, ...safeFields });
  }
  const extra = safeFields && Object.keys(safeFields).length > 0
    ? " " + JSON.stringify(safeFields)
    : "";
  return `${at} ${level.toUpperCase().padEnd(5)} [${scope}] ${safeMessage}${extra}`;
}

/**
 * Creates a root logger.
 *
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const log = createLogger({ level: "debug", format: "json" }).child("p2p");
 * log.info("listening", { addrs: ["/ip4/127.0.0.1/tcp/4001"] });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const {
    level = "info",
    format: kind = "text",
    sink = (line: string) => console.error(line),
    now = Date.now,
  } = options;
  if (!LOG_LEVELS.includes(level)) throw new TypeError(`Cannot create logger: bad level ${level}`);
  const least = LOG_LEVELS.indexOf(level);
  const make = (scope: string): Logger => {
    const write = (at: LogLevel) => (message: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(at) < least) return;
      sink(format(kind, now(), at, scope, message, fields));
    };
    return {
      scope,
      debug: write("debug"),
      info: write("info"),
      warn: write("warn"),
      error: write("error"),
      child: (name: string) => make(`${scope}:${name}`),
    };
  };
  return make(options.scope ?? "meteor");
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return createLogger({ sink: () => {} });
}
