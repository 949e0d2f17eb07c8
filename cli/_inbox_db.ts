/**
 * `meteor inbox` without a running daemon: reads the inbox straight from the
 * p2p plugin's database, `<home>/plugins/p2p/p2p.db`, opened read-only (WAL
 * lets a reader in beside a writer, and after a kill -9 the WAL is still
 * read), or, in a home of the previous version that kept it there, from the
 * inbox table of state.db. Contact names come from state.db, also read-only.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { resolvePeerName } from "../core/contacts.ts";
import { MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { Contacts } from "../core/store/mod.ts";
import { Inbox, type InboxJson, inboxJson } from "../plugins/p2p/store/mod.ts";
import { exists } from "./_fs.ts";

/** What `meteor inbox` asks for. */
export interface InboxFilter {
  /** A contact name or MeteorID. */
  from?: string;
  /** Received at or after (ms). */
  since?: number;
  /** At most this many. */
  limit?: number;
}

function openReadOnly(path: string): DatabaseSync {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    db.exec("PRAGMA busy_timeout = 5000");
    return db;
  } catch (err) {
    throw new MeteorError("E_IO", `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function hasTable(db: DatabaseSync, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
    undefined;
}

/** The inbox of the node at `home`, read from its databases. */
export async function readInbox(home: string, filter: InboxFilter): Promise<InboxJson[]> {
  const paths = homePaths(home);
  const p2pPath = `${paths.pluginData}/p2p/p2p.db`;
  const opened: DatabaseSync[] = [];
  try {
    // A home whose daemon never ran has received nothing.
    if (!(await exists(paths.state))) return [];
    const state = openReadOnly(paths.state);
    opened.push(state);
    let source = state;
    if (await exists(p2pPath)) {
      const p2p = openReadOnly(p2pPath);
      opened.push(p2p);
      // A home of the previous version keeps its inbox in state.db until the next start adopts it.
      if (hasTable(p2p, "inbox")) source = p2p;
    }
    const contacts = new Contacts(state, Date.now);
    const from = filter.from === undefined
      ? undefined
      : resolvePeerName(contacts, filter.from, "find contact");
    if (!hasTable(source, "inbox")) return [];
    const messages = new Inbox(source).list({ from, since: filter.since, limit: filter.limit });
    return messages.map((m) => inboxJson(m, contacts.byId(m.from)?.name ?? null));
  } finally {
    for (const db of opened) db.close();
  }
}
