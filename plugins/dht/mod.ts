/**
 * The dht plugin (docs/dht.md): Meteor's Kademlia DHT (`@libp2p/kad-dht`
 * under `/meteor/kad/1.0.0`) on the node's one libp2p host. Each node
 * publishes its signed identity document under `/meteor/id/<MeteorID>`;
 * records are validated and selected so that only a document that verifies
 * as the key's MeteorID's, with the highest sequence, is kept or returned;
 * the identity directory resolves unknown MeteorIDs through it, so contacts
 * added by bare MeteorID and `meteor send` to an unknown MeteorID work. The
 * routing table is restored from the host's persistent peer store.
 *
 * @example
 * ```ts ignore
 * import dht from "./plugins/dht/mod.ts";
 * const node = new MeteorNode({ ..., plugins: [p2p(), dht()] });
 * ```
 *
 * @module
 */
import type { Libp2p } from "libp2p";
import { multiaddr } from "@multiformats/multiaddr";
import { isMeteorError, MeteorError } from "../../core/errors.ts";
import { libp2pServices, type P2PApi, type Plugin } from "../../plugin.ts";
import { type DhtConfig, parseDhtConfig } from "./config.ts";
import { Publisher } from "./publisher.ts";
import { DhtResolver, type Resolution } from "./resolver.ts";
import { dhtRoutes } from "./routes.ts";
import { DHT_SERVICE, dhtServices, type MeteorDht } from "./service.ts";

export { DEFAULT_DHT_CONFIG, type DhtConfig, parseDhtConfig } from "./config.ts";
export {
  meteorIdOfKey,
  RECORD_PREFIX,
  recordKey,
  recordValidator,
  selectRecord,
} from "./record.ts";
export type { Resolution } from "./resolver.ts";

/** The plugin version. */
export const DHT_VERSION = "1.0.0";

/** What the dht plugin offers plugins that need it. */
export interface DhtApi {
  /** A MeteorID to its verified document through the DHT (E_NOT_FOUND within the bound). */
  resolve(meteorId: Uint8Array): Promise<Resolution>;
  /** Publishes this node's document now; resolves when the put is done. */
  publish(): Promise<void>;
  /** Peers in the routing table. */
  routingTableSize(): number;
}

/** The plugin's figures for GET /v1/stats, before the routing table size is added. */
function newCounts(): Record<string, number> {
  return {
    published: 0,
    publishFailures: 0,
    publishShort: 0,
    lastPublishPeers: 0,
    lookups: 0,
    lookupsMissed: 0,
  };
}

/** Builds the dht plugin. */
export default function dht(): Plugin<DhtConfig, DhtApi, { p2p: P2PApi<Libp2p> }, "documents"> {
  const counts = newCounts();
  const rejected = (code: string) => {
    counts[`rejected.${code}`] = (counts[`rejected.${code}`] ?? 0) + 1;
  };
  return {
    name: "dht",
    version: DHT_VERSION,
    needs: ["p2p"],
    uses: ["documents"],
    configSchema: { validate: parseDhtConfig },
    extend: (config) => ({ libp2p: libp2pServices(dhtServices(config, rejected)) }),
    start(context) {
      const { p2p } = context.plugins;
      const service = p2p.services[DHT_SERVICE] as MeteorDht;
      const debug = (what: string, err: unknown) =>
        context.logger.debug(`${what} failed`, { error: err });
      const resolver = new DhtResolver({
        dht: service,
        self: context.identity.peerId,
        verify: (document) => p2p.directory.verify(document),
        timeoutMs: context.config.resolveTimeoutMs,
        counts,
      });
      const removeResolver = p2p.directory.addResolver(resolver.directoryResolver());
      const publisher = new Publisher({
        dht: service,
        libp2p: p2p.libp2p,
        documents: context.documents,
        meteorId: context.identity.meteorId,
        config: context.config,
        counts,
        debug,
      });
      publisher.start();
      const bootstrap = async (address: string) => {
        let peer: string | undefined;
        try {
          peer = multiaddr(address).getComponents().find((c) => c.name === "p2p")?.value;
        } catch {
          throw new MeteorError("E_MALFORMED", `Cannot bootstrap: not a multiaddr: ${address}`);
        }
        try {
          await p2p.dial(address);
        } catch (err) {
          if (isMeteorError(err)) throw err;
          throw new MeteorError("E_UNREACHABLE", `Cannot bootstrap: cannot connect to ${address}`);
        }
        const connected = p2p.peers().find((p) =>
          p.peerId === peer || p.addresses.includes(address)
        );
        return { peerId: connected?.peerId ?? peer ?? "", routingTable: service.routingTable.size };
      };
      return Promise.resolve({
        api: {
          resolve: (meteorId) => resolver.resolve(meteorId),
          publish: () => publisher.publish(),
          routingTableSize: () => service.routingTable.size,
        },
        routes: dhtRoutes({ resolve: (id) => resolver.resolve(id), bootstrap }),
        stats: () => ({ ...counts, routingTable: service.routingTable.size }),
        stop: () => {
          publisher.stop();
          removeResolver();
          return Promise.resolve();
        },
      });
    },
  };
}
