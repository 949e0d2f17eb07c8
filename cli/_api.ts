/**
 * A small client of the running daemon's local API for CLI commands
 * (`meteor contacts`, `meteor send`, `meteor inbox`): it reads the API port
 * from the home's config.json and the token from its api-token file, sends
 * JSON, and turns `{ error: { code, message } }` responses back into
 * MeteorErrors with the same code.
 *
 * @module
 */
import { readApiToken } from "../core/api_token.ts";
import { hostForUrl, MAX_CONFIG_BYTES, parseConfig } from "../core/config.ts";
import { isErrorCode, isMeteorError, MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { readBoundedFile } from "../core/secret_file.ts";

/** How long a request may take by default, in ms. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** How long the liveness probe of {@link ApiClient.running} waits, in ms. */
const PROBE_TIMEOUT_MS = 1_500;

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Per-request timeout in ms; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** The fetch function (tests inject one); default the global fetch. */
  fetch?: typeof fetch;
}

/** A client of one daemon's API. */
export class ApiClient {
  /** The API base URL, e.g. http://127.0.0.1:7701. */
  readonly url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  /** A client of the API at `url` using `token`. */
  constructor(url: string, token: string, options: ApiClientOptions = {}) {
    this.url = url.replace(/\/$/, "");
    this.#token = token;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Whether a daemon answers GET /v1/health at this URL (with the token, as every route needs). */
  async running(): Promise<boolean> {
    if (this.#fetch === fetch && !(await listening(this.url))) return false;
    try {
      const res = await this.#fetch(`${this.url}/v1/health`, {
        headers: { authorization: `Bearer ${this.#token}` },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  /**
   * Sends a request and resolves to the parsed JSON response (undefined for
   * 204). A `{ error }` response rejects with a MeteorError of its code;
   * E_UNREACHABLE when no daemon answers; E_TIMEOUT when it answers too slowly.
   */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.#fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === "TimeoutError") {
        throw new MeteorError(
          "E_TIMEOUT",
          `Cannot reach the daemon: ${method} ${path} took over ${this.#timeoutMs} ms`,
        );
      }
      throw new MeteorError(
        "E_UNREACHABLE",
        `Cannot reach the daemon at ${this.url}: is 'meteor daemon' running for this home?`,
        { cause: err },
      );
    }
    if (res.status === 204) {
      await res.body?.cancel();
      return undefined as T;
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new MeteorError(
        "E_MALFORMED",
        `Cannot read the daemon's answer: ${method} ${path} gave HTTP ${res.status}, not JSON`,
      );
    }
    if (!res.ok) throw toError(parsed, res.status);
    return parsed as T;
  }

  /**
   * Sends a request with a streamed body (or none), with no time limit (a
   * file may take long), and resolves to the OK response for the caller to
   * stream. A failed answer rejects with the MeteorError of its code;
   * E_UNREACHABLE when no daemon answers.
   */
  async stream(
    method: string,
    path: string,
    body?: ReadableStream<Uint8Array>,
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers["content-type"] = "application/octet-stream";
    let res: Response;
    try {
      res = await this.#fetch(`${this.url}${path}`, { method, headers, body });
    } catch (err) {
      throw new MeteorError(
        "E_UNREACHABLE",
        `Cannot reach the daemon at ${this.url}: is 'meteor daemon' running for this home?`,
        { cause: err },
      );
    }
    if (res.ok) return res;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: toError reports the status.
    }
    throw toError(parsed, res.status);
  }
}

/** Loopback host names, as a URL's hostname gives them. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Whether anything accepts a TCP connection at a loopback `url`'s port (true
 * for any other host: only loopback is probed). When nothing listens, the
 * usual case for an offline command, the liveness probe stops there: the
 * process's first fetch sets up its HTTP client, which costs 15 to 40 ms of
 * start-up here against 2 to 7 ms for a refused connection
 * (docs/benchmarks.md "CLI start-up").
 */
async function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  if (!LOOPBACK_HOSTS.has(hostname)) return true;
  try {
    const conn = await Deno.connect({
      hostname: hostname.replace(/^\[|\]$/g, ""),
      port: Number(port || 80),
    });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Rebuilds the MeteorError an API error response carries: a core code, or a
 * plugin's code registered in this process (core/errors.ts
 * registerErrorCodes); any other code becomes E_INTERNAL.
 */
function toError(body: unknown, status: number): MeteorError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" && isErrorCode(error.code)
    ? error.code
    : "E_INTERNAL";
  const message = typeof error?.message === "string"
    ? error.message
    : `Cannot complete request: the daemon answered HTTP ${status}`;
  return new MeteorError(code, message);
}

/** The URL a client on this machine uses for an API listening on `host:port`. */
export function apiUrl(host: string, port: number): string {
  const loopback = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${hostForUrl(loopback)}:${port}`;
}

/**
 * A client for the daemon of the node home `home`. E_NOT_INITIALIZED when
 * the home has no config.json or no API token (run `meteor init`).
 */
export async function apiClientFor(
  home: string,
  options: ApiClientOptions = {},
): Promise<ApiClient> {
  const paths = homePaths(home);
  let configText: string;
  let token: string;
  try {
    configText = new TextDecoder().decode(await readBoundedFile(paths.config, MAX_CONFIG_BYTES));
    token = await readApiToken(paths.apiToken);
  } catch (err) {
    if (isMeteorError(err, "E_NOT_FOUND")) {
      throw new MeteorError(
        "E_NOT_INITIALIZED",
        `Cannot find the node at ${home}: run 'meteor init' or 'meteor daemon' first`,
      );
    }
    throw err;
  }
  const config = parseConfig(configText);
  if (config.api.port === 0) {
    throw new MeteorError(
      "E_BAD_CONFIG",
      `Cannot find the daemon: ${paths.config} sets no api.port (it is chosen at each start)`,
    );
  }
  return new ApiClient(apiUrl(config.api.host, config.api.port), token, options);
}
