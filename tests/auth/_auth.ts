/**
 * Helpers for the auth tests: a daemon running the built-in auth plugin on
 * a loopback public listener (in this process, its log captured), and
 * device homes with identities from fixed seeds.
 *
 * @module
 */
import { startDaemon } from "../../cli/daemon.ts";
import { homePaths } from "../../core/home.ts";
import { deriveKeys, type NodeKeys } from "../../core/identity/mod.ts";
import { AuthClient, enrol, type Enrolment } from "../../plugins/auth/client.ts";
import { freePorts } from "../_cli.ts";
import { memoryLogger } from "../node/_helpers.ts";

/** A running auth server. */
export interface AuthDaemon {
  /** Its origin, `http://127.0.0.1:PORT`. */
  origin: string;
  /** The server's home. */
  home: string;
  /** What it logged. */
  lines: string[];
  /** Stops it. */
  stop(): Promise<void>;
}

/** Writes the config of an auth server home (auth plugin only) listening on `port`. */
export async function writeAuthConfig(
  home: string,
  port: number,
  auth: Record<string, unknown> = {},
): Promise<void> {
  await Deno.mkdir(home, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(
    homePaths(home).config,
    JSON.stringify({
      api: { host: "127.0.0.1", port: 0 },
      plugins: ["auth"],
      pluginConfig: { auth: { listen: `127.0.0.1:${port}`, ...auth } },
    }),
  );
}

/** Starts an auth server in `home` (made if needed) on a free port, with `auth` config on top. */
export async function startAuthDaemon(
  home: string,
  auth: Record<string, unknown> = {},
  port = freePorts(1)[0],
): Promise<AuthDaemon> {
  await writeAuthConfig(home, port, auth);
  const { logger, lines } = memoryLogger();
  const daemon = await startDaemon({ home, logger });
  return { origin: `http://127.0.0.1:${port}`, home, lines, stop: () => daemon.stop() };
}

/** The identity keys of seed `byte` (32 times). */
export function identity(byte: number): Promise<NodeKeys> {
  return deriveKeys(new Uint8Array(32).fill(byte));
}

/** Enrols a new device home (under `root`) of `keys` at `origin`. */
export async function enrolDevice(
  root: string,
  origin: string,
  keys: NodeKeys,
  name = "test device",
): Promise<{ home: string; enrolment: Enrolment; client: AuthClient }> {
  const home = await Deno.makeTempDir({ dir: root, prefix: "device-" });
  const client = new AuthClient(origin);
  return { home, client, enrolment: await enrol(home, client, keys, { name }) };
}

/** One raw call to the server: its status and JSON body (null for none). */
export async function call(
  origin: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> | null; code?: string }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${origin}/auth/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  return { status: response.status, body: parsed, code: parsed?.error?.code };
}
