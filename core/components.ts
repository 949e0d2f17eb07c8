/**
 * The node components a plugin may ask for in `uses` (core/plugin.ts
 * {@link NodeComponents}), built for one plugin at a time from the node's
 * keys and store. Capabilities hold the key seeds in closures: a plugin can
 * sign, decapsulate or open with them, never read or change them.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import * as coreCrypto from "./crypto/mod.ts";
import { hybridSign } from "./crypto/sign.ts";
import { hpkeOpen } from "./crypto/hpke.ts";
import { xwingDecapsulate } from "./crypto/xwing.ts";
import { MeteorError } from "./errors.ts";
import { createDocument, DOCUMENT_SIGNATURE_CONTEXT, type NodeKeys } from "./identity/mod.ts";
import { libp2pPrivateKey } from "./identity/_libp2p_key.ts";
import { createNodeCipher, type NodeCipher } from "./crypto/node_cipher.ts";
import type { ComponentName, NodeComponents, NodeIdentity } from "./plugin.ts";
import { adoptTables, openDatabase } from "./store/database.ts";
import { LEGACY_TABLES } from "./store/_schema.ts";
import type { NodeStore } from "./store/store.ts";

/** Labels no plugin may declare: the node signs its identity documents itself. */
export const RESERVED_LABELS: readonly string[] = [DOCUMENT_SIGNATURE_CONTEXT];

/** What components are built from. */
export interface ComponentSource {
  /** The node's keys; the components read the seeds, never copy them out. */
  keys: NodeKeys;
  /** The node's state (contacts, counters; its path for adopted tables). */
  store: NodeStore;
  /** The node's batch cipher; default: one with no path, which seals per call. */
  cipher?: NodeCipher;
}

/** One plugin's components and what to release once it has stopped. */
export interface PluginComponents {
  /** The components the plugin declared, and only those. */
  components: Partial<NodeComponents>;
  /** Closes what the components opened (the plugin's database). */
  close(): void;
}

function denied(plugin: string, what: string): MeteorError {
  return new MeteorError("E_PLUGIN", `Cannot ${what}: plugin "${plugin}" did not declare it`);
}

/** The node's public identity: every read is a fresh copy. */
export function nodeIdentity(keys: NodeKeys): NodeIdentity {
  const { meteorId, peerId, publicKeys } = keys;
  return Object.freeze({
    get meteorId() {
      return meteorId.slice();
    },
    peerId,
    get publicKeys() {
      return {
        ed25519: publicKeys.ed25519.slice(),
        xwing: publicKeys.xwing.slice(),
        mldsa65: publicKeys.mldsa65.slice(),
      };
    },
  });
}

/**
 * Builds the components `uses` names for plugin `plugin`, whose signer may
 * sign under `labels` only and whose database lives in `dataDir`.
 */
export function pluginComponents(
  source: ComponentSource,
  plugin: { name: string; uses: readonly ComponentName[]; labels: readonly string[] },
  dataDir: string,
): PluginComponents {
  const { keys, store } = source;
  const { name } = plugin;
  const labels = new Set(plugin.labels);
  let database: DatabaseSync | undefined;
  const build: { [K in ComponentName]: () => NodeComponents[K] } = {
    signer: () => ({
      sign(context, message) {
        if (!labels.has(context)) {
          return Promise.reject(denied(name, `sign under the label "${context}"`));
        }
        return hybridSign(keys.seeds, context, message);
      },
    }),
    documents: () => ({ sign: (fields) => createDocument(keys, fields) }),
    decryptor: () => ({
      decapsulate: (ciphertext) => xwingDecapsulate(keys.seeds.xwing, ciphertext),
      open: (enc, info, aad, ciphertext) => hpkeOpen(keys.seeds.xwing, enc, info, aad, ciphertext),
    }),
    hostKey: () => ({ privateKey: () => libp2pPrivateKey(keys.seeds.ed25519) }),
    contacts: () => store.contacts,
    counters: () => ({ add: (delta) => store.counters.add(name, delta) }),
    database: () => ({
      open(options) {
        if (database) {
          throw new MeteorError(
            "E_PLUGIN",
            `Cannot open database: plugin "${name}" opened it already`,
          );
        }
        for (const table of options.adopt ?? []) {
          if (LEGACY_TABLES[table] !== name) throw denied(name, `adopt the table "${table}"`);
        }
        const path = store.path === ":memory:" ? ":memory:" : join(dataDir, `${name}.db`);
        const db = openDatabase(path, {
          migrations: options.migrations,
          label: `plugin ${name} database`,
        });
        try {
          adoptTables(db, store.path, options.adopt ?? []);
        } catch (err) {
          db.close();
          throw err;
        }
        database = db;
        return db;
      },
    }),
    crypto: () => coreCrypto,
    cipher: () => {
      const cipher = source.cipher ?? createNodeCipher(null);
      return {
        status: () => cipher.status(),
        batchWins: (jobs, jobBytes) => cipher.batchWins(jobs, jobBytes),
        sealBatch: (jobs) => cipher.sealBatch(jobs),
      };
    },
  };
  const components: Partial<Record<ComponentName, unknown>> = {};
  for (const use of plugin.uses) {
    // The crypto module namespace is immutable already (and cannot be frozen).
    components[use] = use === "crypto" ? build[use]() : Object.freeze(build[use]());
  }
  return {
    components: components as Partial<NodeComponents>,
    close() {
      if (database?.isOpen) database.close();
      database = undefined;
    },
  };
}
