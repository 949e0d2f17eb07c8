/**
 * In-process daemons for the dashboard tests: a temporary home set up as
 * `meteor init` does, with the plugins named, started by cli/daemon.ts
 * startDaemon on free loopback ports.
 *
 * @module
 */
import { type RunningDaemon, startDaemon } from "../../cli/daemon.ts";
import { silentLogger } from "../../core/logger.ts";
import { initTestHome } from "../_cli.ts";

/** Starts a daemon on a new home `home` (seed byte `seed`) running `plugins`, with
 * `config`'s fields on top. */
export async function startDashboardDaemon(
  home: string,
  seed: number,
  plugins: string[] = ["dashboard"],
  config: Record<string, unknown> = {},
): Promise<RunningDaemon> {
  await initTestHome(home, seed, { plugins, ...config });
  return await startDaemon({ home, logger: silentLogger() });
}

/** The session cookie (`name=value`) of a 204 answer of POST /v1/login. */
export function sessionCookie(response: Response): string {
  const header = response.headers.get("set-cookie") ?? "";
  return header.split(";")[0];
}
