/**
 * `meteor inbox`: lists received direct messages, oldest first, through the
 * running daemon's API (GET /v1/inbox), or from the node's databases,
 * read-only, when no daemon answers (cli/_inbox_db.ts).
 *
 * @module
 */
import { isMeteorError, MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import type { InboxJson } from "../plugins/p2p/store/mod.ts";
import { apiClientFor } from "./_api.ts";
import { exists } from "./_fs.ts";
import { type InboxFilter, readInbox } from "./_inbox_db.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";

type InboxEntry = InboxJson;

/**
 * Characters a sender could use to forge lines or drive the terminal: C0
 * controls (newlines included), DEL, C1 controls, the Unicode line and
 * paragraph separators and the bidirectional overrides and isolates.
 */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` with every {@link UNSAFE} character written as an escape (\n, \x1b, \u202e). */
function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ??
      (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`);
  });
}

function line(m: InboxEntry): string {
  const when = new Date(m.receivedAt).toISOString().replace(/\.\d+Z$/, "Z");
  const who = m.contact ?? `${m.from.slice(0, 16)}... (not a contact)`;
  const body = m.kind === "text"
    ? m.text
    : m.kind === "file"
    ? `file ${m.file?.name} (${m.file?.size} B, ${m.file?.cid})`
    : `[${m.base64?.length ?? 0} base64 characters]`;
  return `${when}  ${escapeControls(`${who}: ${body ?? ""}`)}`;
}

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new MeteorError("E_USAGE", `Cannot list inbox: --${name} must be a number`);
  }
  return Number(value);
}

/** The messages, from the daemon when it answers for `home`, else from the databases. */
async function listInbox(home: string, filter: InboxFilter): Promise<InboxEntry[]> {
  const paths = homePaths(home);
  if (!(await exists(paths.keystore)) && !(await exists(paths.config))) {
    throw new MeteorError(
      "E_NOT_INITIALIZED",
      `Cannot list inbox: no node at ${home} (run 'meteor init')`,
    );
  }
  const client = await apiClientFor(home).catch((err) => {
    if (isMeteorError(err, "E_BAD_CONFIG") || isMeteorError(err, "E_NOT_INITIALIZED")) {
      return undefined; // no fixed port or no token: no daemon to ask
    }
    throw err;
  });
  if (!client || !(await client.running())) return await readInbox(home, filter);
  const query = new URLSearchParams();
  if (filter.from !== undefined) query.set("from", filter.from);
  if (filter.since !== undefined) query.set("since", String(filter.since));
  if (filter.limit !== undefined) query.set("limit", String(filter.limit));
  const suffix = query.size > 0 ? `?${query}` : "";
  return (await client.request<{ messages: InboxEntry[] }>("GET", `/v1/inbox${suffix}`)).messages;
}

/** The `meteor inbox` command. */
export const inboxCommand: Command = {
  name: "inbox",
  summary: "List received messages (from the daemon, or its database when it is stopped)",
  help: `Usage: meteor inbox [--from PEER] [--since MS] [--limit N] [--json] [--home DIR]

Lists the direct messages this node received, and the files peers sent it
('meteor send-file', while the daemon runs), oldest first: time, sender
(the contact name, or the MeteorID of a sender who is not a contact) and text.
One message is one line: control characters in the text (newlines, terminal
escapes) are shown escaped, as \\n or \\x1b; --json gives the exact text.
Messages arrive end-to-end encrypted and authenticated; a sender shown by
contact name proved it holds that contact's identity keys. Asks the running
daemon; when none answers, reads the node's database (read-only).

  --from PEER   only messages from this contact name or MeteorID
  --since MS    only messages received at or after this time (ms since 1970)
  --limit N     at most N messages (default 100, at most 1000)
  --json        print {"messages": [...]} as JSON (id, from, contact, text, receivedAt, seq);
                a file a peer sent (the ipfs plugin) is {kind: "file", file: {cid, name, size}}
  --home DIR    the node home (default $METEOR_HOME or ~/.meteor)

Examples:
  meteor inbox
  meteor inbox --from alice --json`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      from: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
    });
    refuseExtraArguments(positionals, 0);
    const filter: InboxFilter = {
      from: values.from,
      since: count("since", values.since),
      limit: count("limit", values.limit),
    };
    const messages = await listInbox(homeFrom(values), filter);
    if (values.json) printJson({ messages });
    else if (messages.length === 0) console.log("No messages.");
    else for (const m of messages) console.log(line(m));
    return 0;
  },
};
