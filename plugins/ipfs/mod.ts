/**
 * The IPFS plugin (docs/ipfs.md): encrypted files on IPFS. An embedded
 * Helia on the node's one libp2p host (bitswap between Meteor nodes), or a
 * Kubo node when `pluginConfig.ipfs.kubo` names its RPC API; files are
 * encrypted with age to this node (or to recipients) before they are added,
 * every block is verified against its CID when read, and files are sent to
 * peers by CID over the Meteor session (transfer.ts).
 *
 * @example
 * ```ts ignore
 * import ipfs from "./plugins/ipfs/mod.ts";
 * const registry = new PluginRegistry([p2p(), ipfs()]);
 * ```
 *
 * @module
 */
import type { Libp2p } from "libp2p";
import { HybridRecipient, type Recipient } from "../../core/age/mod.ts";
import { resolvePeerName } from "../../core/contacts.ts";
import { readDocument } from "../../core/identity/mod.ts";
import type { Plugin } from "../../core/plugin.ts";
import type { P2PApi } from "../p2p/mod.ts";
import { nodeIdentity, recipientsOf } from "./_age.ts";
import type { IpfsBackend } from "./backend.ts";
import { type IpfsConfig, parseIpfsConfig } from "./config.ts";
import { IPFS_ERRORS } from "./errors.ts";
import { ipfsRoutes } from "./routes.ts";
import { IpfsService } from "./service.ts";
import { IpfsTables, MIGRATIONS } from "./store.ts";
import { Transfers } from "./transfer.ts";

export { type IpfsConfig, parseIpfsConfig } from "./config.ts";

/** The plugin version. */
export const IPFS_VERSION = "1.0.0";

/** The api other plugins that need "ipfs" receive. */
export interface IpfsApi {
  /** The file operations. */
  readonly files: IpfsService;
}

/** Starts the backend the config names. */
async function startBackend(
  config: IpfsConfig,
  p2p: P2PApi<Libp2p>,
  dataDir: string,
  tables: IpfsTables,
): Promise<IpfsBackend> {
  if (config.kubo !== undefined) return (await import("./kubo.ts")).connectKubo(config.kubo);
  return await (await import("./helia.ts")).startHelia({
    libp2p: p2p.libp2p,
    blocksDir: `${dataDir}/blocks`,
    db: tables.db,
  });
}

/** Builds the IPFS plugin. */
export default function ipfs(): Plugin<
  IpfsConfig,
  IpfsApi,
  { p2p: P2PApi<Libp2p> },
  "database" | "decryptor" | "contacts" | "counters"
> {
  return {
    name: "ipfs",
    version: IPFS_VERSION,
    needs: ["p2p"],
    uses: ["database", "decryptor", "contacts", "counters"],
    errors: IPFS_ERRORS,
    configSchema: { validate: parseIpfsConfig },
    async start(context) {
      const { p2p } = context.plugins;
      const { config } = context;
      const tables = new IpfsTables(context.database.open({ migrations: MIGRATIONS }));
      const backend = await startBackend(config, p2p, context.dataDir, tables);
      const identity = nodeIdentity(context.decryptor);
      const service = new IpfsService({
        backend,
        tables,
        identity,
        events: context.events,
        fetchTimeoutMs: config.fetchTimeoutMs,
      });
      const selfKey = context.identity.publicKeys.xwing;
      const keyOf = async (meteorId: Uint8Array): Promise<Recipient> => {
        const { peer } = await p2p.directory.resolve(meteorId);
        const doc = await readDocument(peer.document, { expectedId: meteorId });
        return new HybridRecipient(doc.publicKeys.xwing);
      };
      const transfers = new Transfers({
        service,
        tables,
        records: p2p.records,
        contacts: context.contacts,
        events: context.events,
        logger: context.logger,
        counters: context.counters,
        keyOf,
        saveDir: config.saveDir ?? `${context.dataDir}/received`,
        retryMs: config.retryMs,
      });
      transfers.start();
      const removeInboxSource = p2p.addInboxSource((query) =>
        tables.savedFiles(query).map((row) => ({
          id: row.id,
          from: row.sender,
          receivedAt: row.receivedAt,
          file: { cid: row.cid, name: row.name, size: row.size },
        }))
      );
      // Without -r the file is for this node; `to` adds peers (send-file: the peer and this node).
      const resolveAll = async (inputs: string[], to: string[]) => [
        ...recipientsOf(inputs, selfKey),
        ...await Promise.all(
          to.map((name) => keyOf(resolvePeerName(context.contacts, name, "encrypt file"))),
        ),
      ];
      return {
        api: { files: service },
        routes: ipfsRoutes(service, resolveAll, config.maxUploadBytes, transfers.routes()),
        stats: () => ({ backend: backend.kind, ...transfers.stats() }),
        async stop() {
          removeInboxSource();
          await transfers.stop();
          await backend.stop();
        },
      };
    },
  };
}
