/**
 * A persistent libp2p datastore (interface-datastore) in the p2p plugin's
 * SQLite database: the host's peer store (and the DHT's records, once a
 * plugin adds one) survive restarts. Keys are datastore key strings, values
 * bytes; a query by prefix is a range scan.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { BaseDatastore } from "datastore-core";
import { type Batch, Key, type KeyQuery, type Pair, type Query } from "interface-datastore";
import { prepared } from "../../core/store/mod.ts";

/** The migration that adds the datastore table to p2p.db. */
export const DATASTORE_MIGRATION = `
  CREATE TABLE datastore (
    key TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
  ) STRICT, WITHOUT ROWID;
`;

/** interface-store's "not found" condition, which libp2p tells by its name. */
class NotFoundError extends Error {
  override name = "NotFoundError";
}

/**
 * The smallest string above every string that starts with `prefix` (for a
 * range scan), or null when there is none.
 */
function prefixEnd(prefix: string): string | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return null;
}

/**
 * A datastore over the `datastore` table of `db`.
 *
 * @example
 * ```ts ignore
 * const datastore = new SqliteDatastore(db);
 * await createLibp2p({ datastore, ... });
 * ```
 */
export class SqliteDatastore extends BaseDatastore {
  readonly #db: DatabaseSync;

  /** A datastore over `db`, which holds the {@link DATASTORE_MIGRATION} table. */
  constructor(db: DatabaseSync) {
    super();
    this.#db = db;
  }

  /** Stores `value` under `key`. */
  override put(key: Key, value: Uint8Array): Key {
    prepared(this.#db, "INSERT OR REPLACE INTO datastore (key, value) VALUES (?, ?)")
      .run(key.toString(), value);
    return key;
  }

  /** The value under `key`; a NotFoundError when there is none. */
  override get(key: Key): Uint8Array {
    const row = prepared(this.#db, "SELECT value FROM datastore WHERE key = ?")
      .get(key.toString()) as { value: Uint8Array } | undefined;
    if (row === undefined) throw new NotFoundError(`Cannot find key: ${key.toString()}`);
    return new Uint8Array(row.value);
  }

  /** Whether a value is stored under `key`. */
  override has(key: Key): boolean {
    return prepared(this.#db, "SELECT 1 FROM datastore WHERE key = ?").get(key.toString()) !==
      undefined;
  }

  /** Deletes the value under `key`, if any. */
  override delete(key: Key): void {
    prepared(this.#db, "DELETE FROM datastore WHERE key = ?").run(key.toString());
  }

  /** A batch applied in one transaction at commit. */
  override batch(): Batch {
    const puts: Pair[] = [];
    const deletes: Key[] = [];
    return {
      put: (key, value) => void puts.push({ key, value }),
      delete: (key) => void deletes.push(key),
      commit: () => {
        this.#db.exec("BEGIN IMMEDIATE");
        try {
          for (const { key, value } of puts) this.put(key, value);
          for (const key of deletes) this.delete(key);
          this.#db.exec("COMMIT");
        } catch (err) {
          this.#db.exec("ROLLBACK");
          throw err;
        }
      },
    };
  }

  /** Every pair under the query's prefix; filters, orders and limits apply on top (BaseDatastore). */
  override *_all(query: Query): Generator<Pair> {
    for (const row of this.#rows(query.prefix)) {
      yield { key: new Key(row.key), value: new Uint8Array(row.value) };
    }
  }

  /** Every key under the query's prefix. */
  override *_allKeys(query: KeyQuery): Generator<Key> {
    for (const row of this.#rows(query.prefix)) yield new Key(row.key);
  }

  #rows(prefix = ""): { key: string; value: Uint8Array }[] {
    const end = prefixEnd(prefix);
    const rows = end === null
      ? prepared(this.#db, "SELECT key, value FROM datastore WHERE key >= ? ORDER BY key")
        .all(prefix)
      : prepared(
        this.#db,
        "SELECT key, value FROM datastore WHERE key >= ? AND key < ? ORDER BY key",
      )
        .all(prefix, end);
    return rows as { key: string; value: Uint8Array }[];
  }
}
