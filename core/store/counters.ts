/**
 * Traffic counters per plugin: messages and bytes in and out, kept across
 * restarts and reported by GET /v1/stats.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { checkCount } from "./_validate.ts";
import { MeteorError } from "../errors.ts";
import { prepared } from "./_statements.ts";
import { PLUGIN_NAME } from "../plugin.ts";

/** One plugin's counts. */
export interface Counts {
  /** Messages received. */
  messagesIn: number;
  /** Messages sent. */
  messagesOut: number;
  /** Bytes received. */
  bytesIn: number;
  /** Bytes sent. */
  bytesOut: number;
}

const FIELDS = {
  messagesIn: "messages_in",
  messagesOut: "messages_out",
  bytesIn: "bytes_in",
  bytesOut: "bytes_out",
} as const;

type Row = {
  plugin: string;
  messages_in: number;
  messages_out: number;
  bytes_in: number;
  bytes_out: number;
};

function toCounts(row: Row | undefined): Counts {
  return {
    messagesIn: row?.messages_in ?? 0,
    messagesOut: row?.messages_out ?? 0,
    bytesIn: row?.bytes_in ?? 0,
    bytesOut: row?.bytes_out ?? 0,
  };
}

function checkPlugin(action: string, plugin: unknown): string {
  if (typeof plugin !== "string" || !PLUGIN_NAME.test(plugin)) {
    throw new MeteorError("E_MALFORMED", `Cannot ${action}: bad plugin name`);
  }
  return plugin;
}

/** The counters table. */
export class Counters {
  readonly #db: DatabaseSync;

  /** Wraps an open, migrated database. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Adds non-negative amounts to a plugin's counts. */
  add(plugin: string, delta: Partial<Counts>): void {
    const action = "update counters";
    const name = checkPlugin(action, plugin);
    const add = toCounts(undefined);
    for (const key of Object.keys(delta)) {
      if (!(key in FIELDS)) {
        throw new MeteorError("E_MALFORMED", `Cannot ${action}: no counter ${key}`);
      }
      add[key as keyof Counts] = checkCount(action, key, delta[key as keyof Counts]);
    }
    prepared(
      this.#db,
      `INSERT INTO counters (plugin, messages_in, messages_out, bytes_in, bytes_out)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (plugin) DO UPDATE SET
         messages_in = messages_in + excluded.messages_in,
         messages_out = messages_out + excluded.messages_out,
         bytes_in = bytes_in + excluded.bytes_in,
         bytes_out = bytes_out + excluded.bytes_out`,
    ).run(name, add.messagesIn, add.messagesOut, add.bytesIn, add.bytesOut);
  }

  /** One plugin's counts (zeros when it has none). */
  get(plugin: string): Counts {
    return toCounts(
      prepared(this.#db, "SELECT * FROM counters WHERE plugin = ?")
        .get(checkPlugin("read counters", plugin)) as Row | undefined,
    );
  }

  /** Every plugin's counts, by plugin name. */
  all(): Record<string, Counts> {
    const out: Record<string, Counts> = {};
    const rows = prepared(this.#db, "SELECT * FROM counters ORDER BY plugin").all() as Row[];
    for (const row of rows) out[row.plugin] = toCounts(row);
    return out;
  }
}
