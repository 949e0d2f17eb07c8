/**
 * `meteor send PEER TEXT`: queues a direct message through the running
 * daemon's API (POST /v1/messages). The daemon delivers it end-to-end
 * encrypted when the peer is reachable and keeps retrying, across restarts,
 * until the peer acknowledges it (docs/protocol.md §7).
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";
import { type ApiClient, apiClientFor } from "./_api.ts";
import { type Command, homeFrom, parseCommandArgs, printJson } from "./command.ts";

/** What POST /v1/messages answers. */
interface Queued {
  id: string;
  to: string;
  status: "queued";
}

/** How often `--wait` polls the outbox, in ms. */
const POLL_MS = 250;

/** One message as GET /v1/outbox returns it (the fields used here). */
interface OutboxEntry {
  id: string;
  deliveredAt: number | null;
  waiting?: { code: string; message: string } | null;
}

/**
 * Polls the outbox entry of message `id` (GET /v1/outbox/{id}) until it is
 * acknowledged. E_TIMEOUT after `seconds`, saying why the message waits when
 * the daemon knows (such as E_NO_ADDRESS: no address known for the peer).
 */
async function waitDelivered(client: ApiClient, id: string, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let entry: OutboxEntry | undefined;
  while (Date.now() < deadline) {
    entry = await client.request<OutboxEntry>("GET", `/v1/outbox/${encodeURIComponent(id)}`);
    if (typeof entry.deliveredAt === "number") return entry.deliveredAt;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const why = entry?.waiting ? `; waiting: ${entry.waiting.message} (${entry.waiting.code})` : "";
  throw new MeteorError(
    "E_TIMEOUT",
    `Cannot confirm delivery: not acknowledged within ${seconds} s${why}. ` +
      "It stays queued and is retried.",
  );
}

/**
 * The message text: the words, or stdin for "-" (one final newline dropped).
 * Refuses empty text (E_USAGE) and stdin that is not UTF-8 (E_MALFORMED),
 * which would otherwise be sent with replacement characters.
 */
async function readText(words: string[]): Promise<string> {
  let text = words.join(" ");
  if (words.length === 1 && words[0] === "-") {
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/\n$/, "");
    } catch {
      throw new MeteorError("E_MALFORMED", "Cannot send: input is not UTF-8 text");
    }
  }
  if (text === "") throw new MeteorError("E_USAGE", "Cannot send: the message is empty");
  return text;
}

/** The `meteor send` command. */
export const sendCommand: Command = {
  name: "send",
  summary: "Send a direct message to a contact or MeteorID (through the running daemon)",
  help: `Usage: meteor send [--wait] [--timeout SECONDS] [--json] [--home DIR] PEER TEXT...

Queues TEXT for PEER in the running daemon's outbox. The daemon delivers it
over a post-quantum, end-to-end encrypted session as soon as PEER is
reachable, and keeps retrying (also after restarts of either node) until
PEER's node acknowledges that it stored the message.

  PEER          a contact name (see 'meteor contacts list') or a MeteorID (meteor1...)
  TEXT...       the message; several words are joined with spaces; "-" reads stdin
                (UTF-8, at most 16 KiB; empty text is refused)
  --wait        wait until the peer acknowledges the message; on timeout, say why it
                waits (e.g. E_NO_ADDRESS: no address is known for PEER, so add its
                identity document, from 'meteor id' on its side, as the contact)
  --timeout S   how long --wait waits, in seconds (default 30)
  --json        print {"id", "to", "status", "deliveredAt"?} as JSON
  --home DIR    the node home (default $METEOR_HOME or ~/.meteor)

Examples:
  meteor send alice "see you at 10"
  meteor send --wait meteor1q9... hello
  echo "report attached" | meteor send bob -`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      wait: { type: "boolean", default: false },
      timeout: { type: "string", default: "30" },
    });
    if (positionals.length < 2) {
      throw new MeteorError("E_USAGE", "Cannot send: give PEER and TEXT (see meteor send --help)");
    }
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new MeteorError("E_USAGE", "Cannot send: --timeout must be a positive number");
    }
    const [to, ...words] = positionals;
    const text = await readText(words);
    const client = await apiClientFor(homeFrom(values));
    const queued = await client.request<Queued>("POST", "/v1/messages", { to, text });
    const deliveredAt = values.wait ? await waitDelivered(client, queued.id, seconds) : undefined;
    if (values.json) {
      printJson(
        deliveredAt === undefined ? queued : { ...queued, status: "delivered", deliveredAt },
      );
    } else if (deliveredAt === undefined) {
      console.log(`Queued message ${queued.id} to ${to} (${queued.to}); the daemon delivers it.`);
    } else {
      console.log(`Delivered message ${queued.id} to ${to} (${queued.to}).`);
    }
    return 0;
  },
};
