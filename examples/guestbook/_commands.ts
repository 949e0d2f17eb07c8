/**
 * The guestbook's CLI commands, run as `meteor plugins run guestbook sign
 * PEER TEXT` and `meteor plugins run guestbook list`; they reach the running
 * daemon through its API with the kit's client.
 *
 * @module
 */
import {
  apiClientFor,
  homeFrom,
  MeteorError,
  parseCommandArgs,
  type PluginCommand,
  printJson,
} from "../../plugin.ts";

/** `sign PEER TEXT`. */
export const signCommand: PluginCommand = {
  name: "sign",
  summary: "Sign a peer's guestbook",
  help: `Usage: meteor plugins run guestbook sign PEER TEXT [--home DIR] [--json]

Sends TEXT to the guestbook of PEER (a contact name or MeteorID), end-to-end
encrypted over the Meteor session, through the running daemon.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 2) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected PEER TEXT");
    }
    const client = await apiClientFor(homeFrom(values));
    const [to, text] = positionals;
    const result = await client.request("POST", "/v1/guestbook/sign", { to, text });
    if (values.json) printJson(result);
    else console.log(`Signed the guestbook of ${to}.`);
    return 0;
  },
};

/** `list`. */
export const listCommand: PluginCommand = {
  name: "list",
  summary: "List who signed this node's guestbook",
  help: `Usage: meteor plugins run guestbook list [--home DIR] [--json]

Prints the entries of this node's guestbook, newest first.`,
  async run(args) {
    const { values } = parseCommandArgs(args, {});
    const client = await apiClientFor(homeFrom(values));
    const { entries } = await client.request<{ entries: { from: string; text: string }[] }>(
      "GET",
      "/v1/guestbook/entries",
    );
    if (values.json) printJson({ entries });
    else for (const e of entries) console.log(`${e.from}  ${e.text}`);
    return 0;
  },
};
