/**
 * Meteor's typed errors. Every condition a caller may handle has a stable
 * {@link ErrorCode}; messages read "Cannot <action>: <state>" and never carry
 * secret material. Misuse of an API (wrong argument type or length) throws the
 * built-in TypeError or RangeError instead.
 *
 * @module
 */

/**
 * The stable error codes. They are part of the public API: the CLI prints
 * them, the HTTP API returns them, and scripts match on them. Add codes; never
 * rename or reuse one.
 */
export const ERROR_CODES = {
  /** Input bytes or text are not in the expected format. */
  MALFORMED: "E_MALFORMED",
  /** Input exceeds a size bound. */
  TOO_LARGE: "E_TOO_LARGE",
  /** Authenticated decryption failed (tampered, truncated or wrong key). */
  DECRYPT_FAILED: "E_DECRYPT_FAILED",
  /** No recipient stanza in an age header could be unwrapped by the identities given. */
  NO_MATCHING_IDENTITY: "E_NO_MATCHING_IDENTITY",
  /** The age header MAC did not verify. */
  HEADER_MAC: "E_HEADER_MAC",
  /** The age header could not be parsed. */
  HEADER_INVALID: "E_HEADER_INVALID",
  /** The age ASCII armor could not be parsed. */
  ARMOR_INVALID: "E_ARMOR_INVALID",
  /** A signature did not verify. */
  BAD_SIGNATURE: "E_BAD_SIGNATURE",
  /** A MeteorID text form is malformed or fails its checksum. */
  BAD_ID: "E_BAD_ID",
  /** An identity document's keys do not hash to the claimed MeteorID. */
  ID_MISMATCH: "E_ID_MISMATCH",
  /** An identity document is past its expiry. */
  EXPIRED: "E_EXPIRED",
  /** A public key is invalid (for example an ML-KEM key failing the FIPS 203 modulus check). */
  BAD_KEY: "E_BAD_KEY",
  /** A recipient string could not be resolved. */
  BAD_RECIPIENT: "E_BAD_RECIPIENT",
  /** The node home or keystore does not exist. */
  NOT_INITIALIZED: "E_NOT_INITIALIZED",
  /** Refusing to overwrite something that exists. */
  EXISTS: "E_EXISTS",
  /** The node home is in use by another running daemon (its lock file names the PID). */
  LOCKED: "E_LOCKED",
  /** A keystore passphrase is required or wrong. */
  BAD_PASSPHRASE: "E_BAD_PASSPHRASE",
  /** A file or record was not found. */
  NOT_FOUND: "E_NOT_FOUND",
  /** A configuration value is invalid. */
  BAD_CONFIG: "E_BAD_CONFIG",
  /** Command-line usage error. */
  USAGE: "E_USAGE",
  /** A plugin could not be loaded, ordered or started. */
  PLUGIN: "E_PLUGIN",
  /** The request lacked a valid API token. */
  UNAUTHORIZED: "E_UNAUTHORIZED",
  /** The request came from a forbidden Host or Origin. */
  FORBIDDEN: "E_FORBIDDEN",
  /** A replayed or out-of-order message was rejected. */
  REPLAY: "E_REPLAY",
  /** A session handshake failed. */
  HANDSHAKE: "E_HANDSHAKE",
  /** The peer is not reachable or not connected. */
  UNREACHABLE: "E_UNREACHABLE",
  /** No network address is known for the peer (no identity document with addresses, not connected). */
  NO_ADDRESS: "E_NO_ADDRESS",
  /** An operation timed out. */
  TIMEOUT: "E_TIMEOUT",
  /** WebGPU is unavailable or failed. */
  GPU_UNAVAILABLE: "E_GPU_UNAVAILABLE",
  /** A self-test known-answer test failed. */
  SELFTEST: "E_SELFTEST",
  /** An I/O operation failed. */
  IO: "E_IO",
  /** A listen address's port is taken by another process; the message names the config key. */
  ADDR_IN_USE: "E_ADDR_IN_USE",
  /** A passphrase prompt has no terminal to read from; the message names the variable to set. */
  NO_TTY: "E_NO_TTY",
  /** A batch to seal uses one (key, nonce) pair twice, which would break ChaCha20-Poly1305. */
  NONCE_REUSE: "E_NONCE_REUSE",
  /** An unexpected failure inside the node; details are logged, never returned. */
  INTERNAL: "E_INTERNAL",
} as const;

/** The core's own codes, the values of {@link ERROR_CODES}. */
export type CoreErrorCode = typeof ERROR_CODES[keyof typeof ERROR_CODES];

/**
 * Every error code, as the keys of this interface: the core's (from
 * {@link ERROR_CODES}) and those plugins add. A plugin types its codes by
 * augmenting it, and registers them at run time with
 * {@link registerErrorCodes} (the registry does so from the plugin's
 * `errors`), so that the API answers them with their HTTP status:
 *
 * ```ts ignore
 * declare module "../../core/errors.ts" {
 *   interface ErrorCodeMap {
 *     E_REVOKED: true;
 *   }
 * }
 * ```
 */
export interface ErrorCodeMap extends Record<CoreErrorCode, true> {}

/** One of the stable error code strings, the core's or a plugin's. */
export type ErrorCode = keyof ErrorCodeMap & string;

/** The form of every error code, the core's and the plugins'. */
export const ERROR_CODE_PATTERN: RegExp = /^E_[A-Z][A-Z0-9_]*$/;

/** What a plugin declares for each of its error codes. */
export interface ErrorCodeSpec {
  /** The HTTP status the API answers it with, 400 to 599. */
  readonly status: number;
  /** What the condition means, one line. */
  readonly description: string;
}

/** A registered plugin error code. */
export interface RegisteredErrorCode extends ErrorCodeSpec {
  /** Who registered it (the plugin name). */
  readonly owner: string;
}

const CORE_CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES));

/** The codes plugins registered, by code. */
const registered = new Map<string, RegisteredErrorCode>();

function refuseCode(owner: string, code: string, state: string): MeteorError {
  return new MeteorError(
    "E_PLUGIN",
    `Cannot register error code ${JSON.stringify(code)} of "${owner}": ${state}`,
  );
}

/**
 * Registers the error codes of `owner` (a plugin name), all or none. Throws
 * E_PLUGIN for a code not of the form {@link ERROR_CODE_PATTERN}, a core
 * code, a code another owner registered, a status outside 400-599 or an
 * empty description. Registering the same owner's codes again replaces them
 * (a node restarted in one process registers its plugins again).
 *
 * @example
 * ```ts
 * import { registerErrorCodes, registeredErrorCode } from "./errors.ts";
 * registerErrorCodes("auth", { E_REVOKED: { status: 403, description: "Credential revoked" } });
 * console.log(registeredErrorCode("E_REVOKED")?.status); // 403
 * ```
 */
export function registerErrorCodes(
  owner: string,
  codes: Readonly<Record<string, ErrorCodeSpec>>,
): void {
  const entries = Object.entries(codes);
  for (const [code, spec] of entries) {
    if (!ERROR_CODE_PATTERN.test(code)) throw refuseCode(owner, code, "not of the form E_NAME");
    if (CORE_CODES.has(code)) throw refuseCode(owner, code, "it is a core code");
    const taken = registered.get(code);
    if (taken !== undefined && taken.owner !== owner) {
      throw refuseCode(owner, code, `"${taken.owner}" registered it`);
    }
    const { status, description } = spec ?? {};
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw refuseCode(owner, code, "its status must be an integer from 400 to 599");
    }
    if (typeof description !== "string" || description.trim() === "") {
      throw refuseCode(owner, code, "it needs a description");
    }
  }
  for (const [code, { status, description }] of entries) {
    registered.set(code, Object.freeze({ owner, status, description }));
  }
}

/** Removes every code `owner` registered (when its plugin stops). */
export function unregisterErrorCodes(owner: string): void {
  for (const [code, entry] of registered) if (entry.owner === owner) registered.delete(code);
}

/** The registration of a plugin's error code; undefined for core and unknown codes. */
export function registeredErrorCode(code: string): RegisteredErrorCode | undefined {
  return registered.get(code);
}

/** Whether `code` is a core code or one a plugin registered. */
export function isErrorCode(code: string): code is ErrorCode {
  return CORE_CODES.has(code) || registered.has(code);
}

/**
 * An error with a stable machine-readable code.
 *
 * @example
 * ```ts
 * import { MeteorError } from "./errors.ts";
 * const err = new MeteorError("E_MALFORMED", "Cannot parse MeteorID: bad checksum");
 * console.log(err.code); // "E_MALFORMED"
 * ```
 */
export class MeteorError extends Error {
  /** The stable code, one of {@link ERROR_CODES} or a plugin's registered code. */
  readonly code: ErrorCode;

  /** Creates an error with a code and a message "Cannot <action>: <state>". */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MeteorError";
    this.code = code;
  }

  /** A JSON-safe view for APIs and `--json` output. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Whether `err` is a {@link MeteorError}, optionally with the given code. */
export function isMeteorError(err: unknown, code?: ErrorCode): err is MeteorError {
  return err instanceof MeteorError && (code === undefined || err.code === code);
}
