/**
 * `meteor open`: opens the node's dashboard in the browser with a one-time
 * login link (docs/dashboard.md), minted here from the home's API token; the
 * page trades it for its session cookie. `--print` only prints the link.
 *
 * @module
 */
import { readApiToken } from "../../core/api_token.ts";
import { MeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import { apiClientFor } from "../../cli/_api.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  refuseExtraArguments,
} from "../../cli/command.ts";
import { loginLink, PAGE_PATH } from "../../plugin.ts";

/** How long `meteor open` waits for the daemon to answer. */
const PROBE_TIMEOUT_MS = 3_000;

/** Starts `link` with xdg-open; false when there is none. */
async function xdgOpen(link: string): Promise<boolean> {
  try {
    const child = new Deno.Command("xdg-open", {
      args: [link],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    return (await child.status).success;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** `meteor open`. */
export const openCommand: Command = {
  name: "open",
  summary: "Open the node's dashboard in the browser with a one-time login link",
  help: `Usage: meteor open [--home DIR] [--print]

Opens the running daemon's dashboard (plugin "dashboard") in the browser
with xdg-open, through a one-time login link: it works once, within 2
minutes, and the page trades it for a session cookie (docs/dashboard.md).
Without xdg-open, or with --print, it prints the link instead.

Options:
  --home DIR  the node home (default $METEOR_HOME or ~/.meteor)
  --print     print the link, do not start a browser

Examples:
  meteor open
  meteor open --print`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      print: { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 0);
    const home = homeFrom(values);
    const client = await apiClientFor(home);
    let page: Response;
    try {
      page = await fetch(`${client.url}${PAGE_PATH}`, {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await page.body?.cancel();
    } catch (err) {
      throw new MeteorError(
        "E_UNREACHABLE",
        `Cannot open the dashboard: no daemon answers at ${client.url}`,
        { cause: err },
      );
    }
    if (!page.ok) {
      throw new MeteorError(
        "E_NOT_FOUND",
        'Cannot open the dashboard: the daemon does not run it (add "dashboard" to config.plugins)',
      );
    }
    const link = loginLink(client.url, await readApiToken(homePaths(home).apiToken));
    if (values.print || !await xdgOpen(link)) {
      console.log(link);
    } else {
      console.log(`Opened the dashboard at ${client.url}${PAGE_PATH} (the login link works once).`);
    }
    return 0;
  },
};
