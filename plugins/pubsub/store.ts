/**
 * The pubsub plugin's tables, in its own database (`<home>/plugins/pubsub/
 * pubsub.db`): the topics this node subscribed to (so subscriptions survive
 * a restart), the private topics it owns or is a member of, their members
 * (on the owner's node) and their epoch keys.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared } from "../../core/store/mod.ts";

/** Migration i moves pubsub.db from version i to i + 1; append, never edit. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE subscriptions (
    topic TEXT PRIMARY KEY,
    subscribed_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE groups (
    topic TEXT PRIMARY KEY,
    owner BLOB NOT NULL CHECK (length(owner) = 32),
    epoch INTEGER NOT NULL CHECK (epoch >= 1)
  ) STRICT;
  CREATE TABLE group_members (
    topic TEXT NOT NULL REFERENCES groups (topic) ON DELETE CASCADE,
    member BLOB NOT NULL CHECK (length(member) = 32),
    PRIMARY KEY (topic, member)
  ) STRICT;
  CREATE TABLE group_keys (
    topic TEXT NOT NULL REFERENCES groups (topic) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    key BLOB NOT NULL CHECK (length(key) = 32),
    PRIMARY KEY (topic, epoch)
  ) STRICT;`,
  // Each private topic gets its random ID (docs/pubsub.md §4.1); one made before it gets a fresh
  // one, so its owner invites the members again.
  `ALTER TABLE groups ADD COLUMN id BLOB NOT NULL DEFAULT x'' CHECK (length(id) IN (0, 16));
  UPDATE groups SET id = randomblob(16);
  CREATE UNIQUE INDEX groups_by_id ON groups (id);`,
];

/** A private topic as this node knows it. */
export interface Group {
  /** The topic's name. */
  topic: string;
  /** Its random 16-byte ID, which names its gossipsub topic. */
  id: Uint8Array;
  /** The owner's MeteorID (this node's, for a topic it created). */
  owner: Uint8Array;
  /** The newest epoch it holds a key of. */
  epoch: number;
}

const GROUP_COLUMNS = "topic, id, owner, epoch";

function toGroup(row: unknown): Group | undefined {
  const r = row as { topic: string; id: Uint8Array; owner: Uint8Array; epoch: number } | undefined;
  return r && {
    topic: r.topic,
    id: new Uint8Array(r.id),
    owner: new Uint8Array(r.owner),
    epoch: r.epoch,
  };
}

/** The pubsub tables of one database (migrated with {@link MIGRATIONS}). */
export class PubSubStore {
  readonly #db: DatabaseSync;

  /** The tables of `db`. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Records a subscription; false when it was there already. */
  subscribe(topic: string, now = Date.now()): boolean {
    return prepared(this.#db, "INSERT OR IGNORE INTO subscriptions VALUES (?, ?)")
      .run(topic, now).changes === 1;
  }

  /** Forgets a subscription; false when there was none. */
  unsubscribe(topic: string): boolean {
    return prepared(this.#db, "DELETE FROM subscriptions WHERE topic = ?").run(topic)
      .changes === 1;
  }

  /** The subscribed topics, oldest first. */
  subscriptions(): string[] {
    return (prepared(this.#db, "SELECT topic FROM subscriptions ORDER BY subscribed_at, topic")
      .all() as { topic: string }[]).map((r) => r.topic);
  }

  /** The private topic named `topic`, if this node knows it. */
  group(topic: string): Group | undefined {
    return toGroup(
      prepared(this.#db, `SELECT ${GROUP_COLUMNS} FROM groups WHERE topic = ?`).get(topic),
    );
  }

  /** The private topic whose ID is `id`, if this node knows it. */
  groupById(id: Uint8Array): Group | undefined {
    return toGroup(prepared(this.#db, `SELECT ${GROUP_COLUMNS} FROM groups WHERE id = ?`).get(id));
  }

  /** Every private topic this node knows. */
  groups(): Group[] {
    return prepared(this.#db, `SELECT ${GROUP_COLUMNS} FROM groups ORDER BY topic`).all()
      .map((r) => toGroup(r)!);
  }

  /**
   * Stores the key of `epoch` of the private topic `topic` (ID `id`) and
   * makes it the group's newest, in one transaction; the owner's ID replaces
   * one held before.
   */
  putKey(topic: string, id: Uint8Array, owner: Uint8Array, epoch: number, key: Uint8Array): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      prepared(
        this.#db,
        `INSERT INTO groups (topic, owner, epoch, id) VALUES (?, ?, ?, ?)
         ON CONFLICT (topic) DO UPDATE SET epoch = max(epoch, excluded.epoch), id = excluded.id`,
      ).run(topic, owner, epoch, id);
      prepared(this.#db, "INSERT OR REPLACE INTO group_keys VALUES (?, ?, ?)")
        .run(topic, epoch, key);
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /** The key of `epoch` of `topic`, if held (a copy). */
  key(topic: string, epoch: number): Uint8Array | undefined {
    const row = prepared(this.#db, "SELECT key FROM group_keys WHERE topic = ? AND epoch = ?")
      .get(topic, epoch) as { key: Uint8Array } | undefined;
    return row && new Uint8Array(row.key);
  }

  /** Adds a member (owner's node); false when it was one already. */
  addMember(topic: string, member: Uint8Array): boolean {
    return prepared(this.#db, "INSERT OR IGNORE INTO group_members VALUES (?, ?)")
      .run(topic, member).changes === 1;
  }

  /** Removes a member (owner's node); false when it was none. */
  removeMember(topic: string, member: Uint8Array): boolean {
    return prepared(this.#db, "DELETE FROM group_members WHERE topic = ? AND member = ?")
      .run(topic, member).changes === 1;
  }

  /** The members of a topic this node owns (not counting itself). */
  members(topic: string): Uint8Array[] {
    return (prepared(this.#db, "SELECT member FROM group_members WHERE topic = ? ORDER BY member")
      .all(topic) as { member: Uint8Array }[]).map((r) => new Uint8Array(r.member));
  }
}
